module early-hints/bench

go 1.19

module interim/bench

go 1.19

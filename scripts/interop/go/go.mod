module early-hints/interop

go 1.19

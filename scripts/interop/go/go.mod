module interim/interop

go 1.19

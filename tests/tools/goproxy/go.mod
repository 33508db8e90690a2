module scaffold.test/goproxy

go 1.21

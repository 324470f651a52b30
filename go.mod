module github.com/loginauth/loginauth

go 1.26.0

require (
	github.com/matryer/is v1.4.1
	golang.org/x/oauth2 v0.38.0
)

module github.com/loginauth/loginauth/compat

go 1.26.0

replace github.com/loginauth/loginauth => ../

replace github.com/loginauth/loginauth/otelloginauth => ../otelloginauth

require golang.org/x/sync v0.25.0 // indirect

require (
	github.com/gregjones/httpcache v0.0.0-20190611155906-901d90724c79
	github.com/loginauth/loginauth v0.0.0-00010101000000-000000000000
	github.com/matryer/is v1.4.1
	golang.org/x/oauth2 v0.38.0
)

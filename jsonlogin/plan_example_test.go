package jsonlogin_test

import (
	"fmt"

	"github.com/loginauth/loginauth/jsonlogin"
)

// ExampleSpec_Plan shows what the Sources of a description do, as
// 'loginauth check' prints it: no secret is needed, nor shown.
func ExampleSpec_Plan() {
	spec, err := jsonlogin.Parse([]byte(`{
	  "base_url": "https://{{region}}.api.example.com",
	  "vars": {"region": {"default": "eu"}, "user": {}, "password": {"secret": true}},
	  "login": {"path": "/login", "json": {"user": "{{user}}", "password": "{{password}}"}},
	  "token": "/token",
	  "header": {"Authorization": "Bearer {{token}}"},
	  "origins": ["https://files.example.com"]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	p := spec.Plan(map[string]string{"region": "us"})
	fmt.Println(p.Login)
	fmt.Println(p.Headers, p.Origins)
	fmt.Printf("refresh: %q\n", p.Refresh)
	// Output:
	// POST https://us.api.example.com/login
	// [Authorization] [https://us.api.example.com https://files.example.com]
	// refresh: ""
}

package catalog_test

import (
	"fmt"

	"github.com/loginauth/loginauth/jsonlogin/catalog"
)

func ExampleNames() {
	fmt.Println(catalog.Names())
	// Output: [deluge matrix node-red pocketbase qbittorrent verdaccio]
}

func ExampleLookup() {
	spec, err := catalog.Lookup("pocketbase")
	if err != nil {
		panic(err)
	}
	fmt.Println(spec.Name(), spec.BaseURL(nil))
	for _, v := range spec.Vars() {
		fmt.Printf("%s: env %s, secret %v, default %q\n", v.Name, v.Env, v.Secret, v.Default)
	}
	// Output:
	// pocketbase http://127.0.0.1:8090
	// base_url: env POCKETBASE_BASE_URL, secret false, default "http://127.0.0.1:8090"
	// collection: env POCKETBASE_COLLECTION, secret false, default "users"
	// email: env POCKETBASE_EMAIL, secret false, default ""
	// password: env POCKETBASE_PASSWORD, secret true, default ""
}

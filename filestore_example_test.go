package loginauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/loginauth/loginauth"
	"golang.org/x/oauth2"
)

// Two runs of a command-line tool share one login: the second run finds
// the token that the first saved in the directory.
func ExampleFileStore() {
	var logins atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logins.Add(1)
		json.NewEncoder(w).Encode(map[string]string{"token": "t1"})
	}))
	defer api.Close()

	dir, err := os.MkdirTemp("", "loginauth-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	run := func() {
		src := loginauth.New(loginauth.Config{
			Provider: "example",
			Origins:  []string{api.URL},
			StoreKey: "example alice",
			Login: func(ctx context.Context) (*oauth2.Token, error) {
				req, _ := http.NewRequestWithContext(ctx, "POST", api.URL+"/login", nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return nil, err
				}
				defer resp.Body.Close()
				var body struct{ Token string }
				if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
					return nil, err
				}
				return &oauth2.Token{AccessToken: body.Token}, nil
			},
			Options: loginauth.Options{
				// Empty Dir means "loginauth" in the user's cache directory.
				Store: &loginauth.FileStore{Dir: filepath.Join(dir, "tokens")},
			},
		})
		tok, err := src.Token()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("token %s, logins %d\n", tok.AccessToken, logins.Load())
	}
	run()
	run()
	// Output:
	// token t1, logins 1
	// token t1, logins 1
}

package crux_test

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux"
	"github.com/loginauth/loginauth/crux/cruxtest"
)

func ExampleNewSource() {
	srv := cruxtest.NewServer() // a fake CruxConnect API; normally crux.ProductionURL
	defer srv.Close()

	src := crux.NewSource(crux.Config{BaseURL: srv.URL, Username: cruxtest.Username, Password: cruxtest.Password})
	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
	req, err := http.NewRequest("GET", srv.URL+"/timp/organizations/permissions/", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	req.Header.Set("Content-Type", crux.ContentType)
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var perms struct {
		OrgType string `json:"org_type"`
	}
	json.NewDecoder(resp.Body).Decode(&perms)
	fmt.Println(resp.Status, perms.OrgType)

	tok, _ := src.Token()
	fmt.Println("org_type in Extra:", tok.Extra("org_type"))
	// Output:
	// 200 OK RETAILER
	// org_type in Extra: RETAILER
}

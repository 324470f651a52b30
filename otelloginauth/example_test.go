package otelloginauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/otelloginauth"
)

// Metrics and traces of one Source, beside an OnEvent of one's own.
func ExampleInstrument() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	}))
	defer api.Close()

	reader := sdkmetric.NewManualReader() // in production: a periodic reader and an exporter
	spans := tracetest.NewInMemoryExporter()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))

	metrics, err := otelloginauth.Instrument(mp)
	if err != nil {
		panic(err)
	}
	mine := func(e loginauth.Event) {
		if e.Kind == loginauth.EventLogin {
			fmt.Println("logged in to", e.Provider)
		}
	}
	src := loginauth.New(loginauth.Config{
		Provider: "example",
		Origins:  []string{api.URL},
		Login: func(context.Context) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "token"}, nil
		},
		Options: loginauth.Options{
			OnEvent: otelloginauth.Chain(metrics, otelloginauth.InstrumentTracing(tp), mine),
		},
	})
	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
	for range 3 { // one login, then the cached token
		resp, err := client.Get(api.URL)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
			p := sum.DataPoints[0]
			op, _ := p.Attributes.Value(otelloginauth.OpKey)
			fmt.Println(m.Name, p.Value, op.AsString())
		}
	}
	for _, s := range spans.GetSpans() {
		fmt.Println("span", s.Name)
	}
	// Output:
	// logged in to example
	// loginauth.logins 1 login
	// span loginauth.login
}

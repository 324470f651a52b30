package compat

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"

	"github.com/matryer/is"
	"go.opentelemetry.io/contrib/instrumentation/net/http/httptrace/otelhttptrace"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/otelloginauth"
	"github.com/loginauth/loginauth/xano"
	"github.com/loginauth/loginauth/xano/xanotest"
	"github.com/loginauth/loginauth/xpay"
	"github.com/loginauth/loginauth/xpay/xpaytest"
)

// traced is a Xano fake, a Source whose logins are traced by
// otelloginauth and go through an otelhttp client, and the spans.
type traced struct {
	srv   *xanotest.Server
	src   *loginauth.Source
	tp    *sdktrace.TracerProvider
	spans *tracetest.InMemoryExporter
}

func newTraced(t *testing.T, authHeader string) *traced {
	t.Helper()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	srv := xanotest.NewServer()
	t.Cleanup(srv.Close)
	src := xano.NewSource(xano.Config{
		BaseURL:    srv.BaseURL(),
		Email:      xanotest.Email,
		Password:   xanotest.Password,
		AuthHeader: authHeader,
		HTTPClient: &http.Client{Transport: otelhttp.NewTransport(nil, otelhttp.WithTracerProvider(tp))},
		Options:    loginauth.Options{OnEvent: otelloginauth.InstrumentTracing(tp)},
	})
	return &traced{srv: srv, src: src, tp: tp, spans: spans}
}

// refusedOnce sends GET /auth/me through c with a token that the API has
// revoked, under a span of its own, and returns that span's ID and the
// spans ended meanwhile.
func (x *traced) refusedOnce(t *testing.T, c *http.Client) (trace.SpanID, []tracetest.SpanStub) {
	t.Helper()
	if _, err := x.src.Token(); err != nil {
		t.Fatal(err)
	}
	x.srv.RevokeAll()
	x.spans.Reset()
	ctx, span := x.tp.Tracer("app").Start(context.Background(), "app")
	req, _ := http.NewRequestWithContext(ctx, "GET", x.srv.BaseURL()+"/auth/me", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	span.End()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return span.SpanContext().SpanID(), x.spans.GetSpans()
}

// clientSpans returns "METHOD status" for each client span, with its
// parent's name.
func clientSpans(spans []tracetest.SpanStub) (got []string, parent map[string]string) {
	names := map[trace.SpanID]string{}
	for _, s := range spans {
		names[s.SpanContext.SpanID()] = s.Name
	}
	parent = map[string]string{}
	for _, s := range spans {
		if s.SpanKind == trace.SpanKindClient {
			a := attribute.NewSet(s.Attributes...)
			m, _ := a.Value("http.request.method")
			st, _ := a.Value("http.response.status_code")
			k := fmt.Sprintf("%s %d", m.AsString(), st.AsInt64())
			got = append(got, k)
			parent[k] = names[s.Parent.SpanID()]
		} else {
			parent[s.Name] = names[s.Parent.SpanID()]
		}
	}
	return got, parent
}

// otelhttp above loginauth sees one span per request: not the refusal,
// nor the re-send. The login's span, and the spans of its own requests,
// are children of it.
func TestOtelhttpAboveSeesOneSpanPerRequest(t *testing.T) {
	is := is.New(t)
	x := newTraced(t, "")
	c := &http.Client{Transport: otelhttp.NewTransport(loginauth.NewTransport(x.src, nil), otelhttp.WithTracerProvider(x.tp))}
	_, spans := x.refusedOnce(t, c)
	got, parent := clientSpans(spans)
	is.Equal(got, []string{"POST 200", "GET 200"})  // the login's request and one span for the refused and re-sent request
	is.Equal(parent["loginauth.login"], "HTTP GET") // the login is a child of the request's span
	is.Equal(parent["POST 200"], "loginauth.login") // the login's own request is a child of the login
	is.Equal(parent["GET 200"], "app")
}

// otelhttp below loginauth sees each attempt: the refusal and the re-send.
func TestOtelhttpBelowSeesEachAttempt(t *testing.T) {
	is := is.New(t)
	x := newTraced(t, "")
	c := &http.Client{Transport: loginauth.NewTransport(x.src, otelhttp.NewTransport(nil, otelhttp.WithTracerProvider(x.tp)))}
	_, spans := x.refusedOnce(t, c)
	got, parent := clientSpans(spans)
	is.Equal(got, []string{"GET 401", "POST 200", "GET 200"}) // the refusal, the login's request, the re-send
	is.Equal(parent["GET 401"], "app")
	is.Equal(parent["GET 200"], "app")
	is.Equal(parent["loginauth.login"], "app")      // the login is a child of the caller's span
	is.Equal(parent["POST 200"], "loginauth.login") // and its request a child of the login
}

// otelhttptrace records every request header field, and redacts only the
// standard ones by default: a credential in another field (Xano's
// X-Xano-Authorization here; MIC's X-Api-Key and Identityid) is recorded
// in clear, in either order, unless the Source's CredentialHeaders are
// passed to WithRedactedHeaders.
func TestOtelhttptraceRedactsCredentialHeaders(t *testing.T) {
	for _, redacted := range []bool{false, true} {
		for _, above := range []bool{true, false} {
			t.Run(fmt.Sprintf("redacted=%v/above=%v", redacted, above), func(t *testing.T) {
				is := is.New(t)
				x := newTraced(t, xano.AuthorizationHeader)
				var opts []otelhttptrace.ClientTraceOption
				if redacted {
					opts = append(opts, otelhttptrace.WithRedactedHeaders(x.src.CredentialHeaders()...))
				}
				withTrace := otelhttp.WithClientTrace(func(ctx context.Context) *httptrace.ClientTrace {
					return otelhttptrace.NewClientTrace(ctx, opts...)
				})
				var rt http.RoundTripper
				if above {
					rt = otelhttp.NewTransport(loginauth.NewTransport(x.src, nil), otelhttp.WithTracerProvider(x.tp), withTrace)
				} else {
					rt = loginauth.NewTransport(x.src, otelhttp.NewTransport(nil, otelhttp.WithTracerProvider(x.tp), withTrace))
				}
				tok, err := x.src.Token()
				is.NoErr(err)
				resp, err := (&http.Client{Transport: rt}).Get(x.srv.BaseURL() + "/auth/me")
				is.NoErr(err)
				resp.Body.Close()
				is.Equal(resp.StatusCode, 200)
				dump := fmt.Sprintf("%+v", x.spans.GetSpans())
				is.True(strings.Contains(strings.ToLower(dump), "x-xano-authorization")) // the field is recorded
				is.Equal(strings.Contains(dump, tok.AccessToken), !redacted)             // in clear, unless redacted
			})
		}
	}
}

// xPay refuses a token inside an HTTP 200: otelhttp, below loginauth,
// records the refused attempt as a success; the re-send counted by
// otelloginauth's metrics tells it apart.
func TestOtelhttpTakesAnXPayRefusalForASuccess(t *testing.T) {
	is := is.New(t)
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	metrics, err := otelloginauth.Instrument(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	is.NoErr(err)
	srv := xpaytest.NewServer()
	defer srv.Close()
	src := xpay.NewSource(xpay.Config{BaseURL: srv.URL, Username: xpaytest.Username, SecretKey: xpaytest.SecretKey, Options: loginauth.Options{OnEvent: metrics}})
	_, err = src.Token()
	is.NoErr(err)
	srv.RevokeAll()
	c := &http.Client{Transport: loginauth.NewTransport(src, otelhttp.NewTransport(nil, otelhttp.WithTracerProvider(tp)))}
	resp, err := c.Post(srv.URL+xpay.BillsSavePath, "application/json", strings.NewReader(`{"amount":"1"}`))
	is.NoErr(err)
	resp.Body.Close()
	got, _ := clientSpans(spans.GetSpans())
	is.Equal(got, []string{"POST 200", "POST 200"}) // the refusal and the re-send, both "200"
	for _, s := range spans.GetSpans() {
		is.Equal(s.Status.Code, codes.Unset) // neither marked failed
	}
	var rm metricdata.ResourceMetrics
	is.NoErr(reader.Collect(context.Background(), &rm))
	retries := 0
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name == "loginauth.retries" {
			retries = int(m.Data.(metricdata.Sum[int64]).DataPoints[0].Value)
		}
	}
	is.Equal(retries, 1) // the metrics saw the refusal
}

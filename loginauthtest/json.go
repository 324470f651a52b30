package loginauthtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// MaxRequestBody is the largest request body [ReadJSON] accepts.
const MaxRequestBody = 1 << 20

// WriteJSON answers with status and v encoded as JSON, with the
// Content-Type application/json.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic("loginauthtest: WriteJSON: " + err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// ReadJSON decodes the JSON request body of r into v. It reads at most
// [MaxRequestBody] bytes and refuses trailing data after the JSON value.
// Unknown fields are ignored, as the real providers do.
func ReadJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("loginauthtest: request body: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("loginauthtest: request body: data after the JSON value")
	}
	return nil
}

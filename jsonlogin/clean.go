package jsonlogin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// frame is an object or array that clean is inside.
type frame struct {
	object  bool
	wantKey bool            // an object's next token is a key or its end
	n       int             // members or elements written
	key     string          // an object's current key
	keys    map[string]bool // an object's keys so far
}

// clean returns the description data without its comments: every
// "$comment" member of an object (whose value must be a string), and
// "$schema" at the top. Comments stay in the json body of a request,
// which is sent as written. clean refuses a key given twice in one object, and
// names the line and column of a syntax error. The result is the same
// JSON, written compactly.
func clean(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out bytes.Buffer
	var stack []*frame
	for done := false; ; {
		end := dec.InputOffset()
		tok, err := dec.Token()
		switch {
		case err == io.EOF && done:
			return out.Bytes(), nil
		case err == io.EOF && len(stack) == 0:
			return nil, errors.New("jsonlogin: the description: empty")
		case err == io.EOF:
			err = io.ErrUnexpectedEOF
			fallthrough
		case err != nil:
			return nil, syntaxError(data, dec.InputOffset(), err)
		case done:
			end += int64(len(data[end:]) - len(bytes.TrimLeft(data[end:], " \t\r\n")))
			return nil, syntaxError(data, end, errors.New("trailing data after the description"))
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			out.WriteByte(byte(d))
			done = endValue(stack)
			continue
		}
		if top != nil && top.wantKey {
			if err := key(&out, dec, stack, tok.(string)); err != nil {
				return nil, err
			}
			continue
		}
		if top != nil && !top.object {
			if top.n > 0 {
				out.WriteByte(',')
			}
			top.n++
		}
		switch t := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(t))
			stack = append(stack, &frame{object: t == '{', wantKey: t == '{', keys: map[string]bool{}})
		default:
			b, _ := json.Marshal(t)
			out.Write(b)
			done = endValue(stack)
		}
	}
}

// key writes the key k of the innermost object, or skips it and its
// value when it is a comment.
func key(out *bytes.Buffer, dec *json.Decoder, stack []*frame, k string) error {
	top := stack[len(stack)-1]
	if top.keys[k] {
		return fmt.Errorf("jsonlogin: %s: key %q is given twice", orTop(framePath(stack, false)), k)
	}
	top.keys[k] = true
	if (k == "$comment" && !literal(stack)) || (k == "$schema" && len(stack) == 1) {
		v, err := dec.Token()
		if _, ok := v.(string); !ok || err != nil {
			return fmt.Errorf("jsonlogin: %s: want a string", join(framePath(stack, false), k))
		}
		return nil
	}
	if top.n > 0 {
		out.WriteByte(',')
	}
	top.n++
	top.key, top.wantKey = k, false
	b, _ := json.Marshal(k)
	out.Write(b)
	out.WriteByte(':')
	return nil
}

// endValue notes that a value of the innermost frame ended, and reports
// whether it was the whole description.
func endValue(stack []*frame) bool {
	if len(stack) == 0 {
		return true
	}
	if top := stack[len(stack)-1]; top.object {
		top.wantKey = true
	}
	return false
}

// framePath returns the path of the innermost frame, as errors name
// fields: "login.json", "refused[1]". With last, it ends with the
// innermost frame's current member or element.
func framePath(stack []*frame, last bool) string {
	var b strings.Builder
	for i, f := range stack {
		if i == len(stack)-1 && !last {
			break
		}
		switch {
		case !f.object:
			fmt.Fprintf(&b, "[%d]", f.n-1)
		case b.Len() > 0:
			b.WriteString("." + f.key)
		default:
			b.WriteString(f.key)
		}
	}
	return b.String()
}

// literal reports whether the innermost object is inside the json body
// of a request, which is sent as written.
func literal(stack []*frame) bool {
	if len(stack) < 3 || !stack[0].object || stack[1].key != "json" {
		return false
	}
	switch stack[0].key {
	case "login", "refresh", "logout":
		return true
	}
	return false
}

// syntaxError names the line and column of a syntax error at offset.
func syntaxError(data []byte, offset int64, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		offset = syn.Offset
	}
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Errorf("jsonlogin: the description: invalid JSON at line %d, column %d: %w", line, col, err)
}

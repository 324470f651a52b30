package cli

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// expandClusters rewrites the combined short flags of args as curl reads
// them, before the flag package parses them: -sSL is -s -S -L, -XPOST is
// -X POST, -d@file is -d @file. A letter that takes a value takes the
// rest of the cluster or, at its end, the next argument. An argument that
// is the value of the flag before it is never expanded, nor anything
// after "--", and a multi-letter single-dash flag that fs defines wins
// (-json is --json). A refused flag, alone or in a cluster, is a usage
// error that says why.
func expandClusters(fs *flagSet, args []string) ([]string, error) {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...), nil
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if err := fs.refusal(name); err != nil && strings.HasPrefix(a, "-") {
			return nil, err
		}
		switch {
		case !strings.HasPrefix(a, "-") || a == "-":
		case strings.HasPrefix(a, "--") || hasValue || fs.Lookup(name) != nil:
			if f := fs.Lookup(name); f != nil && !isBool(f) && !hasValue && i+1 < len(args) {
				out = append(out, a)
				i++
				a = args[i] // its value, as it is
			}
		default:
			exp, takesNext, err := expandCluster(fs, name)
			if err != nil {
				return nil, err
			}
			if exp == nil {
				break // an unknown letter: the flag package reports the argument
			}
			out = append(out, exp...)
			if takesNext && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// expandCluster expands the letters of one cluster, and reports whether
// its last letter takes the next argument as its value. It returns nil
// when a letter is no flag of fs.
func expandCluster(fs *flagSet, letters string) (out []string, takesNext bool, err error) {
	for j := 0; j < len(letters); j++ {
		l := letters[j : j+1]
		if err := fs.refusal(l); err != nil {
			return nil, false, err
		}
		f := fs.Lookup(l)
		if f == nil {
			return nil, false, nil
		}
		out = append(out, "-"+l)
		if !isBool(f) {
			if rest := letters[j+1:]; rest != "" {
				return append(out, rest), false, nil
			}
			return out, true, nil
		}
	}
	return out, false, nil
}

// refuse makes the flags names (long and short) usage errors that say
// why: curl's flags that the command does not take.
func (fs *flagSet) refuse(reason string, names ...string) {
	if fs.refused == nil {
		fs.refused = map[string]string{}
	}
	for _, n := range names {
		fs.refused[n] = reason
	}
}

// refusal returns the usage error of the refused flag name, or nil.
func (fs *flagSet) refusal(name string) error {
	if r, ok := fs.refused[name]; ok {
		return usagef("%s is not supported: %s", dashed(name), r)
	}
	return nil
}

// writeOutVar matches a variable of -w: %{name}.
var writeOutVar = regexp.MustCompile(`%\{([a-z_]+)\}`)

// writeOutVars are the variables of -w, as curl names them.
var writeOutVars = []string{"http_code", "response_code", "content_type", "method", "size_download", "url_effective", "num_redirects"}

// checkWriteOut refuses a -w format with a variable it does not know.
func checkWriteOut(format string) error {
	for _, m := range writeOutVar.FindAllStringSubmatch(format, -1) {
		if !slices.Contains(writeOutVars, m[1]) {
			return usagef("-w: %%{%s} is not a variable of -w here%s; want one of %%{%s}", m[1], didYouMean(m[1], writeOutVars, plain), strings.Join(writeOutVars, "}, %{"))
		}
	}
	return nil
}

// writeOut expands the -w format for resp, whose body had size bytes:
// its variables, and \n, \r and \t as curl does.
func writeOut(format string, resp *http.Response, method string, size int64, redirects int) string {
	s := strings.NewReplacer(`\n`, "\n", `\r`, "\r", `\t`, "\t").Replace(format)
	return writeOutVar.ReplaceAllStringFunc(s, func(m string) string {
		switch m[2 : len(m)-1] {
		case "http_code", "response_code":
			return fmt.Sprintf("%03d", resp.StatusCode)
		case "content_type":
			return resp.Header.Get("Content-Type")
		case "method":
			return method
		case "size_download":
			return strconv.FormatInt(size, 10)
		case "url_effective":
			return redactURL(resp.Request.URL.String())
		case "num_redirects":
			return strconv.Itoa(redirects)
		}
		return m
	})
}

// urlEncodeData is the piece of a body that --data-urlencode gives, as
// curl reads it: "content", "=content", "name=content", "@file" and
// "name@file", with the content (or the file's) percent-encoded.
func (c *cli) urlEncodeData(arg string) (string, error) {
	name, content := "", arg
	if i := strings.IndexAny(arg, "=@"); i >= 0 {
		name, content = arg[:i], arg[i+1:]
		if arg[i] == '@' {
			b, err := c.readData("--data-urlencode", "@"+content)
			if err != nil {
				return "", err
			}
			content = string(b)
		}
	}
	enc := url.QueryEscape(content)
	if name == "" {
		return enc, nil
	}
	return name + "=" + enc, nil
}

// methods are the methods that a lone argument after the provider is
// taken for, rather than a path.
var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// callTarget returns the method (or "") and the path or URL that the
// arguments of call give after the provider (none with --spec); the
// method of -X, if not "", wins.
func callTarget(spec bool, pos []string, x string) (method, target string, err error) {
	if x != "" && !methodRE.MatchString(x) {
		return "", "", usagef("-X %q is not an HTTP method such as GET or POST", x)
	}
	args, who := pos, "--spec FILE"
	if !spec {
		if len(pos) == 0 {
			return "", "", usagef("want a provider (or --spec), an optional method and a path or URL")
		}
		args, who = pos[1:], pos[0]
	}
	t := 0 // the index of the target
	if len(args) > 1 && methodRE.MatchString(args[0]) {
		t = 1
	}
	switch {
	case len(args) == 0:
		return "", "", usagef("want a path or URL after the provider, such as 'loginauth call PROVIDER /me'")
	case len(args) == 1 && slices.Contains(methods, args[0]):
		return "", "", usagef("%s is a method without a path: want 'loginauth call %s %s PATH-or-URL'", args[0], who, args[0])
	case len(args) > t+1:
		if json := httpieJSON(args[t+1:]); json != "" {
			return "", "", usagef("HTTPie's request items (NAME=VALUE) are not supported: send JSON with --json, such as --json %s", shellQuote(json))
		}
		if len(args) == 2 {
			return "", "", usagef("%q is not an HTTP method such as GET or POST", args[0])
		}
		return "", "", usagef("want a provider (or --spec), an optional method and a path or URL, got %d arguments", len(pos))
	case t == 1:
		method = args[0]
	}
	return cmp.Or(x, method), args[t], nil
}

// httpieJSON returns the JSON object that HTTPie would send for items,
// its NAME=VALUE (a string) and NAME:=JSON items, with the values of
// names that look secret left out; "" when no item is one of them.
func httpieJSON(items []string) string {
	var parts []string
	for _, it := range items {
		name, raw, isJSON := strings.Cut(it, ":=")
		if !isJSON {
			var ok bool
			if name, raw, ok = strings.Cut(it, "="); !ok || name == "" || strings.Contains(name, "/") {
				continue
			}
			raw = strconv.Quote(raw)
		}
		if lower := strings.ToLower(name); strings.Contains(lower, "pass") || strings.Contains(lower, "secret") || strings.Contains(lower, "token") || strings.Contains(lower, "key") {
			raw = `"…"`
		}
		parts = append(parts, strconv.Quote(name)+": "+raw)
	}
	if len(parts) == 0 {
		return ""
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// callBody returns the body of the flags: --json's, or the pieces of -d
// and --data-urlencode joined with &, as curl joins them; nil for none.
func (c *cli) callBody(f *callFlags, hdr http.Header, hasJSON bool) ([]byte, error) {
	if hasJSON {
		hdr.Set("Content-Type", "application/json")
		hdr.Set("Accept", "application/json")
		return c.readData("--json", f.json)
	}
	var pieces []string
	for _, d := range f.data {
		b, err := c.readData("-d", d)
		if err != nil {
			return nil, err
		}
		pieces = append(pieces, string(b))
	}
	for _, d := range f.dataURLEncode {
		p, err := c.urlEncodeData(d)
		if err != nil {
			return nil, err
		}
		pieces = append(pieces, p)
	}
	if len(pieces) == 0 {
		return nil, nil
	}
	return []byte(strings.Join(pieces, "&")), nil
}

// curlMethod settles the method of the request from -X or the argument
// (method), -G and -I, and the body: -G moves the body into the URL's
// query; without a method, a body means POST.
func curlMethod(f *callFlags, method, u string, body []byte) (string, string, []byte, error) {
	if f.get {
		if body != nil {
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			u += sep + string(body)
			body = nil
		}
		if method == "" {
			method = http.MethodGet
		}
	}
	if f.head {
		if body != nil {
			return "", "", nil, usagef("-I sends no body: use -G to send the data in the URL")
		}
		if method != "" && method != http.MethodHead {
			return "", "", nil, usagef("-I is HEAD: it cannot be %s as well", method)
		}
		method = http.MethodHead
	}
	if method == "" {
		method = http.MethodGet
		if body != nil {
			method = http.MethodPost
		}
	}
	return method, u, body, nil
}

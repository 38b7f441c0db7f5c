package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/config"
	"gopkg.in/yaml.v3"
)

// cliOut and cliErr are where the subcommands print their results and
// their usage, cliIn where they read secrets from (tests swap them).
var (
	cliOut io.Writer = os.Stdout
	cliErr io.Writer = os.Stderr
	cliIn  io.Reader = os.Stdin
)

func flagOutput() io.Writer { return cliErr }

// adminFlags are the flags every admin subcommand takes.
type adminFlags struct {
	config string
	admin  string
	json   bool
	// wait, when set, replaces the client's 30 s bound on one request
	// (a switchover may legitimately take longer).
	wait time.Duration
}

func newAdminFlagSet(name, usage string, withJSON bool) (*flag.FlagSet, *adminFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(cliErr)
	af := &adminFlags{}
	fs.StringVar(&af.config, "c", "strata.yaml", "config file of the running Strata (its admin_listen is used)")
	fs.StringVar(&af.admin, "admin", "", "admin API address host:port (default: admin_listen of the config)")
	if withJSON {
		fs.BoolVar(&af.json, "json", false, "print the API's JSON answer")
	}
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fmt.Fprintln(fs.Output(), "\nflags:")
		fs.PrintDefaults()
	}
	return fs, af
}

// parseArgs parses flags placed before, between or after the positional
// arguments (`strata pool move A B -c f` and `strata pool move -c f A B`)
// and checks the number of positional arguments.
func parseArgs(fs *flag.FlagSet, args []string, want ...string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != len(want) {
		fs.Usage()
		if len(pos) < len(want) {
			return nil, fmt.Errorf("missing %s", strings.Join(want[len(pos):], " "))
		}
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(pos[len(want):], " "))
	}
	return pos, nil
}

// adminClient calls the admin API of a running Strata.
type adminClient struct {
	base   string // http://host:port
	source string // where the address came from, for error messages
	http   *http.Client
	auth   config.AdminAuth // sent as HTTP Basic credentials when set
}

func newAdminClient(af *adminFlags) (*adminClient, error) {
	addr, source := af.admin, "-admin"
	var auth config.AdminAuth
	if head, err := adminHead(af.config); err == nil {
		auth = head.AdminAuth
		if addr == "" {
			addr, source = head.AdminListen, "admin_listen of "+af.config
		}
	} else if addr == "" {
		return nil, err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("admin address %q (%s) is not host:port", addr, source)
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1" // listening on every interface: loopback reaches it
	}
	return &adminClient{
		base:   "http://" + net.JoinHostPort(host, port),
		source: source,
		http:   &http.Client{Timeout: 30 * time.Second},
		auth:   auth,
	}, nil
}

// configHead is what the CLI reads of a config file: where the admin API
// listens and the account it asks for.
type configHead struct {
	AdminListen string           `yaml:"admin_listen"`
	AdminAuth   config.AdminAuth `yaml:"admin_auth"`
}

// adminHead reads admin_listen and admin_auth from a config file without
// validating the rest, so the CLI still finds Strata while the file has a
// mistake (and `strata reload` can report it).
func adminHead(path string) (configHead, error) {
	var head configHead
	data, err := os.ReadFile(path)
	if err != nil {
		return head, fmt.Errorf("reading config (to find admin_listen; -c FILE or -admin HOST:PORT): %w", err)
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return head, fmt.Errorf("%s: cannot read admin_listen: %v", path, err)
	}
	if head.AdminListen == "" {
		head.AdminListen = config.DefaultAdminListen
	}
	return head, nil
}

// call sends a request with a JSON body (when body is not nil) and decodes
// a JSON answer into out; API errors come back as their message.
func (c *adminClient) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth.User != "" {
		req.SetBasicAuth(c.auth.User, c.auth.Password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("cannot reach the admin API at %s (%s): %v; is `strata serve` running?", c.base, c.source, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		var e admin.APIError
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = data
		return nil
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: unexpected answer: %v", method, path, err)
		}
	}
	return nil
}

// printJSON prints an API answer as it came.
func printJSON(raw json.RawMessage) {
	cliOut.Write(bytes.TrimRight(raw, "\n"))
	fmt.Fprintln(cliOut)
}

func newTable() *tabwriter.Writer {
	return tabwriter.NewWriter(&trimWriter{w: cliOut}, 0, 0, 2, ' ', 0)
}

// trimWriter drops the spaces tabwriter pads an empty last column with.
type trimWriter struct {
	w   io.Writer
	buf []byte
}

func (t *trimWriter) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	for {
		i := bytes.IndexByte(t.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := append(bytes.TrimRight(t.buf[:i], " "), '\n')
		if _, err := t.w.Write(line); err != nil {
			return 0, err
		}
		t.buf = t.buf[i+1:]
	}
}

// orDash shows empty cells as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stateText is a server's state as the tables show it.
func stateText(state string, drained bool) string {
	if drained {
		return state + ",drained"
	}
	return state
}

// lagText is a replica's lag; "-" for primaries and servers that are down.
func lagText(seconds float64, role, state string) string {
	if role == "primary" || state == "down" {
		return "-"
	}
	return (time.Duration(seconds * float64(time.Second))).Round(time.Second).String()
}

func connsText(c admin.ConnView) string { return fmt.Sprintf("%d/%d", c.InUse, c.Open) }

// printWarnings prints the warnings of a change.
func printWarnings(ws []string) {
	for _, w := range ws {
		fmt.Fprintln(cliOut, "warning:", w)
	}
}

// plural is "1 change", "2 changes".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// pathEscape escapes a server address for a URL path ([::1]:3306 too).
func pathEscape(s string) string { return url.PathEscape(s) }

// callView calls the API. With -json it prints the raw answer and reports
// printed; otherwise it decodes the answer into view for a readable print.
func callView(af *adminFlags, method, path string, body, view any) (printed bool, err error) {
	c, err := newAdminClient(af)
	if err != nil {
		return false, err
	}
	if af.wait > 0 {
		c.http.Timeout = af.wait
	}
	var raw json.RawMessage
	if err := c.call(method, path, body, &raw); err != nil {
		return false, err
	}
	if af.json {
		printJSON(raw)
		return true, nil
	}
	return false, json.Unmarshal(raw, view)
}

// changeServer sends one runtime change and returns what the API answered.
func changeServer(af *adminFlags, method, path string, body any) (admin.ChangeView, error) {
	var v admin.ChangeView
	c, err := newAdminClient(af)
	if err != nil {
		return v, err
	}
	return v, c.call(method, path, body, &v)
}

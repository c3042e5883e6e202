package index

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// credStore holds credentials by host: from index URLs (and file URLs an index lists with credentials),
// then netrc machines, then the netrc default.
type credStore struct {
	mu           sync.RWMutex
	hosts        map[string]*url.Userinfo // by hostKey
	netrc        map[string]*url.Userinfo // by lower-case host name
	netrcDefault *url.Userinfo
}

// hostKey is the host in lower case, without the scheme's default port, so that credentials given for
// https://host/ also reach https://host:443/.
func hostKey(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" || (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		return host
	}
	return net.JoinHostPort(host, port)
}

// add records user for u's host; with override false it keeps what is already there, so a page cannot
// replace the credentials the user configured.
func (s *credStore) add(u *url.URL, user *url.Userinfo, override bool) {
	k := hostKey(u)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.hosts[k]; ok && !override {
		return
	}
	s.hosts[k] = user
}

func (s *credStore) lookup(u *url.URL) *url.Userinfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if ui, ok := s.hosts[hostKey(u)]; ok {
		return ui
	}
	if ui, ok := s.netrc[strings.ToLower(u.Hostname())]; ok {
		return ui
	}
	return s.netrcDefault
}

// authTransport adds Basic auth for the request's host on every hop, redirects included, so credentials
// follow the host, never the redirect chain.
type authTransport struct {
	base  http.RoundTripper
	creds *credStore
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if ui := t.creds.lookup(req.URL); ui != nil && (req.URL.Scheme == "https" || req.URL.Scheme == "http") {
		pw, _ := ui.Password()
		req = req.Clone(req.Context())
		req.SetBasicAuth(ui.Username(), pw)
	}
	return t.base.RoundTrip(req)
}

// parseNetrc reads the netrc format (machine/default, login, password; account and macdef skipped).
func parseNetrc(data string) (map[string]*url.Userinfo, *url.Userinfo, error) {
	machines := map[string]*url.Userinfo{}
	var def *url.Userinfo
	type entry struct {
		machine   string
		isDefault bool
		login     string
		password  string
		hasPass   bool
	}
	var cur *entry
	flush := func() {
		if cur == nil {
			return
		}
		ui := url.User(cur.login)
		if cur.hasPass {
			ui = url.UserPassword(cur.login, cur.password)
		}
		if cur.isDefault {
			def = ui
		} else if _, seen := machines[cur.machine]; !seen { // the first entry for a machine wins, as in Python's netrc
			machines[cur.machine] = ui
		}
		cur = nil
	}

	var toks []string
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	inMacro := false
	for sc.Scan() {
		line := sc.Text()
		if inMacro {
			if strings.TrimSpace(line) == "" {
				inMacro = false
			}
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, f := range strings.Fields(line) {
			toks = append(toks, f)
			if f == "macdef" {
				inMacro = true // the macro's name and body run to the next blank line
				break
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}

	for i := 0; i < len(toks); i++ {
		arg := func() (string, error) {
			if i+1 >= len(toks) {
				return "", errors.New("missing value after " + toks[i])
			}
			i++
			return toks[i], nil
		}
		switch toks[i] {
		case "machine":
			flush()
			m, err := arg()
			if err != nil {
				return nil, nil, err
			}
			cur = &entry{machine: strings.ToLower(m)}
		case "default":
			flush()
			cur = &entry{isDefault: true}
		case "login", "password", "account":
			key := toks[i]
			v, err := arg()
			if err != nil {
				return nil, nil, err
			}
			if cur == nil {
				return nil, nil, errors.New(key + " outside a machine entry")
			}
			switch key {
			case "login":
				cur.login = v
			case "password":
				cur.password, cur.hasPass = v, true
			}
		case "macdef":
			flush() // the scanner already dropped the macro's name and body
		default:
			// Unknown tokens are skipped rather than failing the whole run; the value is never echoed
			// because it may be a password.
			if cur == nil {
				return nil, nil, errors.New("unexpected token outside a machine entry")
			}
		}
	}
	flush()
	return machines, def, nil
}

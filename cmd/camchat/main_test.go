package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	cases := []struct {
		args       []string
		code       int
		stdout     string // substring expected on stdout
		stderr     string // substring expected on stderr
		opensTheUI bool
	}{
		{args: nil, code: 0, opensTheUI: true},
		{args: []string{"--version"}, code: 0, stdout: "camchat 0.1.0\n"},
		{args: []string{"-version"}, code: 0, stdout: "camchat 0.1.0\n"},
		{args: []string{"--help"}, code: 0, stdout: "Usage:"},
		{args: []string{"-h"}, code: 0, stdout: "Usage:"},
		{args: []string{"--bogus"}, code: 2, stderr: "flag provided but not defined: -bogus"},
		{args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		opened := false
		code := run(c.args, &out, &errOut, func(appOptions, io.Writer) int { opened = true; return 0 })
		if n := strings.Count(out.String()+errOut.String(), "Usage:"); n > 1 {
			t.Errorf("camchat %q: the help printed %d times", c.args, n)
		}
		if code != c.code || opened != c.opensTheUI ||
			!strings.Contains(out.String(), c.stdout) || !strings.Contains(errOut.String(), c.stderr) {
			t.Errorf("camchat %q: code %d opened %v stdout %q stderr %q", c.args, code, opened, out.String(), errOut.String())
		}
	}
}

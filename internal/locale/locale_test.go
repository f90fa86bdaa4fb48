package locale

import (
	"os"
	"testing"
)

func TestPlain(t *testing.T) {
	for in, want := range map[string]string{
		"C": "en_US.UTF-8", "C.UTF-8": "en_US.UTF-8", "POSIX": "en_US.UTF-8",
		"de_DE.UTF-8": "de_DE.UTF-8", "": "",
	} {
		t.Setenv("LANG", in)
		t.Setenv("LC_ALL", in)
		Plain()
		if got := os.Getenv("LANG"); got != want {
			t.Errorf("LANG %q became %q, want %q", in, got, want)
		}
		if got := os.Getenv("LC_ALL"); got != want {
			t.Errorf("LC_ALL %q became %q, want %q", in, got, want)
		}
	}
}

func TestPlainLanguage(t *testing.T) {
	for in, want := range map[string]string{
		"C.UTF-8": "", "C": "", "POSIX:C.utf8": "", "de_DE:C.UTF-8:fr": "de_DE:fr", "en_GB": "en_GB",
	} {
		t.Setenv("LANGUAGE", in)
		Plain()
		got, ok := os.LookupEnv("LANGUAGE")
		if got != want || ok != (want != "") {
			t.Errorf("LANGUAGE %q became %q (set %v), want %q", in, got, ok, want)
		}
	}
}

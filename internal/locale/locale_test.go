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

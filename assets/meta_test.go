package assets

import (
	"bufio"
	"bytes"
	"image/png"
	"os"
	"strconv"
	"strings"
	"testing"
)

// readTOML reads the flat key = value pairs of FyneApp.toml, keyed by
// "section.key". The file is small and flat, so a full TOML parser would add
// a dependency for nothing.
func readTOML(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kv := map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]") + "."
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("FyneApp.toml: bad line %q", line)
			}
			kv[section+strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return kv
}

func TestMetadataMatchesFyneAppTOML(t *testing.T) {
	kv := readTOML(t, "../FyneApp.toml")
	m := Metadata()
	want := map[string]string{
		"Details.Name":      m.Name,
		"Details.ID":        m.ID,
		"Details.Version":   m.Version,
		"Details.Build":     strconv.Itoa(m.Build),
		"Details.Icon":      "assets/" + Icon.Name(),
		"Migrations.fyneDo": strconv.FormatBool(m.Migrations["fyneDo"]),
	}
	for k, v := range want {
		if kv[k] != v {
			t.Errorf("FyneApp.toml %s = %q, code has %q", k, kv[k], v)
		}
	}
}

func TestIconIsSquarePNG(t *testing.T) {
	cfg, err := png.DecodeConfig(bytes.NewReader(Icon.Content()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != cfg.Height || cfg.Width < 256 {
		t.Fatalf("icon is %dx%d, want square and at least 256 px", cfg.Width, cfg.Height)
	}
}

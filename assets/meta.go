package assets

import "fyne.io/fyne/v2"

// The application's identity. FyneApp.toml carries the same values for
// `fyne package`; a test keeps the two in step.
const (
	AppName = "camchat"
	AppID   = "org.camchat.app"
	Version = "0.1.0"
	Build   = 1
)

// Metadata is what the app registers with Fyne before it starts, so a plain
// `go build` binary behaves like a packaged one (the fyneDo migration on: all
// widget updates from other goroutines go through fyne.Do).
func Metadata() fyne.AppMetadata {
	return fyne.AppMetadata{
		ID:         AppID,
		Name:       AppName,
		Version:    Version,
		Build:      Build,
		Icon:       Icon,
		Migrations: map[string]bool{"fyneDo": true},
	}
}

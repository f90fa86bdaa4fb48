// Package assets holds the files camchat ships inside its binary.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

// Icon is the application icon (the same file FyneApp.toml names).
var Icon = fyne.NewStaticResource("icon.png", iconPNG)

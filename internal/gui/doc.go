// Package gui is camchat's Fyne front end: the main window with the video
// tiles, the room panel, the verify panel, chat and settings.
//
// It reads snapshots and events from internal/room and calls its commands;
// it never touches the network. Only the Fyne goroutine touches widgets:
// anything that arrives from another goroutine goes through fyne.Do.
package gui

import _ "camchat/internal/locale" // before Fyne reads the locale (test binaries too)

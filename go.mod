module camchat

go 1.26

require (
	fyne.io/fyne/v2 v2.7.1 // indirect
	github.com/blackjack/webcam v0.6.1 // indirect
	github.com/gen2brain/malgo v0.11.24 // indirect
	golang.org/x/sys v0.30.0 // indirect
	gopkg.in/hraban/opus.v2 v2.0.0-20230925203106-0188a62cb302 // indirect
)

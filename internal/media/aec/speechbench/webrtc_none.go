//go:build !webrtcapm

package main

// webrtc is absent without the webrtcapm build tag.
var webrtc *contender

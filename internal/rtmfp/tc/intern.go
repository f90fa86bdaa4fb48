package tc

// interned holds the strings that recur in every Flash command and status
// message (command names, property keys, levels, codes), so that decoding
// them returns a shared string instead of allocating one. A map lookup keyed
// by string(b) does not allocate.
var interned = func() map[string]string {
	m := make(map[string]string)
	for _, s := range []string{
		CommandConnect, CommandSetPeerInfo, CommandCreateStream, CommandDeleteStream,
		CommandPublish, CommandPlay, CommandCloseStream, CommandPause, CommandReceiveAudio, CommandReceiveVideo,
		CommandResult, CommandError, CommandOnStatus,
		HandlerSampleAccess, HandlerSetDataFrame, HandlerOnMetaData,
		LevelStatus, LevelWarning, LevelError,
		CodeConnectSuccess, CodeConnectFailed, CodeConnectRejected, CodeConnectClosed,
		CodePlayStart, CodePlayReset, CodePlayStop, CodePlayFailed, CodePlayUnpublishNotify, CodePlayPublishNotify,
		CodePublishStart, CodePublishBadName,
		PublishLive, PublishRecord, PublishAppend,
		"level", "code", "description", "detail", "clientid", "objectEncoding", "connectionID",
		"app", "flashVer", "swfUrl", "tcUrl", "fpad", "capabilities", "audioCodecs", "videoCodecs",
		"videoFunction", "pageUrl", "capsEx", "fourCcList", "videoFourCcInfoMap", "audioFourCcInfoMap",
		"Opus", "vp08", "*", "hashname", "publisher", "priority",
		"duration", "width", "height", "videocodecid", "audiocodecid", "framerate",
	} {
		m[s] = s
	}
	return m
}()

// maxInterned is longer than every interned string, so that long strings
// are not hashed for nothing.
const maxInterned = 40

// bytesString returns b as a string, shared when it is a common one.
func bytesString(b []byte) string {
	if len(b) > maxInterned {
		return string(b)
	}
	if s, ok := interned[string(b)]; ok {
		return s
	}
	return string(b)
}

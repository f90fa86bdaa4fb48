// WebRTC's AudioProcessing (libwebrtc-audio-processing 0.3) behind a C
// interface for the speech bench.
#ifdef __cplusplus
extern "C" {
#endif
typedef struct apm apm;
apm *apm_new(int rate);
// apm_process gives far (the frame sent to the loudspeaker) to the reverse
// stream, then cancels mic into out; n samples each (10 ms).
void apm_process(apm *a, const short *mic, const short *far, short *out, int n);
void apm_free(apm *a);
#ifdef __cplusplus
}
#endif

/**
 * The "got it" signal a gloved tech notices without looking: a short vibration and a beep.
 */

let audio = null;

/**
 * Create the audio context during a tap. iOS (and Chrome's autoplay rule) keeps a context made
 * outside a user gesture silent, and the beep itself happens later, when a code is found.
 */
export function primeSound() {
  const AudioContext = window.AudioContext || window.webkitAudioContext;
  if (!AudioContext) return;
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume().catch(() => {});
  } catch {
    audio = null; // No sound is fine: the vibration and the screen still say it.
  }
}

/** Vibrate (Android) and beep (where the audio context was primed); both are best effort. */
export function signalSuccess() {
  if (navigator.vibrate) {
    try {
      navigator.vibrate(80);
    } catch {
      // Some browsers refuse without a recent tap; the beep and the screen still say it.
    }
  }
  if (!audio || audio.state !== "running") return;
  const now = audio.currentTime;
  const tone = audio.createOscillator();
  const volume = audio.createGain();
  tone.type = "sine";
  tone.frequency.value = 1760;
  // A quick fade in and out: a hard start or stop clicks in the speaker.
  volume.gain.setValueAtTime(0.0001, now);
  volume.gain.exponentialRampToValueAtTime(0.3, now + 0.01);
  volume.gain.exponentialRampToValueAtTime(0.0001, now + 0.12);
  tone.connect(volume).connect(audio.destination);
  tone.start(now);
  tone.stop(now + 0.13);
}

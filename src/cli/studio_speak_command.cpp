// `troupe studio speak`: a voice message from the shell with the offline espeak-ng voice, to hear a
// character's voice and speed before setting them. Prints `duration_ms=N bytes=N` on stdout.
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "studio/espeak_speech.h"

namespace troupe::cli {
namespace {

struct SpeakFlags {
  std::string text;
  std::string voice = studio::EspeakSpeech::kDefaultVoice;
  int speed = studio::kNormalWordsPerMinute;
  std::string format = "opus";
  std::string output;
  bool list_voices = false;
};

// The library names its fields ("voice: ..."); the operator knows them as flags ("--voice: ...").
Status AsSpeakFlagError(const Status& status) {
  const std::string& field = status.field();
  if (field != "speed" && field != "voice" && field != "text" && field != "format") return status;
  const std::string flag = "--" + field;
  std::string message = status.message();
  if (message.rfind(field + ":", 0) == 0) message = flag + message.substr(field.size());
  return Status(status.code(), message, flag);
}

void ListSpeakVoices(CommandContext& context) {
  Result<std::vector<std::string>> voices = studio::EspeakSpeech::Voices();
  if (!voices.ok()) {
    context.Fail(voices.status());
    return;
  }
  for (const std::string& voice : *voices) std::cout << voice << "\n";
}

void RunSpeak(CommandContext& context, const SpeakFlags& flags) {
  if (flags.list_voices) return ListSpeakVoices(context);
  if (flags.text.empty()) {
    context.Fail(InvalidArgument("--text is required: the words to speak", "--text"));
    return;
  }
  if (flags.output.empty()) {
    context.Fail(InvalidArgument("-o is required: the audio file to write", "-o"));
    return;
  }
  Result<studio::AudioFormat> format = studio::ParseAudioFormat(flags.format, "--format");
  if (!format.ok()) {
    context.Fail(format.status());
    return;
  }
  studio::SpeechRequest request;
  request.text = flags.text;
  request.voice = flags.voice;
  request.words_per_minute = flags.speed;
  request.format = *format;
  studio::EspeakSpeech espeak;
  Result<studio::SpeechAudio> audio = espeak.Synthesize(request);
  if (!audio.ok()) {
    context.Fail(AsSpeakFlagError(audio.status()));
    return;
  }
  std::ofstream out(flags.output, std::ios::binary);
  out << audio->bytes;
  if (!out.flush()) {
    context.Fail(Status(StatusCode::kUnavailable, flags.output + ": cannot be written", "-o"));
    return;
  }
  std::cout << "duration_ms=" << audio->duration_ms << " bytes=" << audio->bytes.size() << "\n";
}

}  // namespace

void AddStudioSpeakCommand(CLI::App& studio, CommandContext& context) {
  auto flags = std::make_shared<SpeakFlags>();
  CLI::App* speak = studio.add_subcommand("speak", "Speak a text with espeak-ng into an Opus or WAV file");
  speak->add_option("--text", flags->text, "the words to speak");
  speak->add_option("--voice", flags->voice, "an espeak-ng voice: en-us, en-gb, fr, de, ... (--list-voices)")
      ->capture_default_str();
  speak->add_option("--speed", flags->speed, "words per minute, 80..450")->capture_default_str();
  speak->add_option("--format", flags->format, "opus or wav")->capture_default_str();
  speak->add_option("-o,--output", flags->output, "the audio file to write");
  speak->add_flag("--list-voices", flags->list_voices, "print the voices espeak-ng has, one a line");
  speak->callback([&context, flags] { RunSpeak(context, *flags); });
}

}  // namespace troupe::cli

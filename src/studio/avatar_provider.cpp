// The avatar renderer as an ImageProvider (avatar_provider.h).
#include "studio/avatar_provider.h"

#include "studio/avatar.h"

namespace troupe::studio {
namespace {

class AvatarImageProvider final : public ImageProvider {
 public:
  std::string_view name() const override { return "avatar"; }

 private:
  Result<GeneratedImage> GenerateImage(const ImageRequest& request, const std::atomic<bool>& /*cancelled*/) override {
    if (request.width != request.height) {
      return InvalidArgument("the offline avatar is square: width and height must be equal (got " +
                                 std::to_string(request.width) + "x" + std::to_string(request.height) + ")",
                             "size");
    }
    AvatarTraits subject = request.subject;
    if (subject.name.empty()) subject.name = request.prompt;
    if (subject.name.empty()) return InvalidArgument("the avatar needs the subject's name (or a prompt)", "subject.name");
    TROUPE_ASSIGN_OR_RETURN(std::string png, RenderAvatarPng(subject, request.width, request.seed.value_or(0)));
    return GeneratedImage{std::move(png), "image/png"};
  }
};

}  // namespace

std::unique_ptr<ImageProvider> MakeAvatarImageProvider() { return std::make_unique<AvatarImageProvider>(); }

}  // namespace troupe::studio

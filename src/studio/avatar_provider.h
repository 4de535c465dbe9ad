// The offline ImageProvider: the avatar renderer (avatar.h) behind the provider interface, so a
// fresh install without any image service still makes pictures. It draws the request's subject;
// the prompt and negative prompt are not read (there is no model to read them). A request's seed
// picks another arrangement of the same character's shapes.
#pragma once

#include <memory>

#include "studio/image_provider.h"

namespace troupe::studio {

// Generate: PNG bytes; kInvalidArgument (field "size") for a picture that is not square or not
// within the avatar sizes (64 to 1024), or (field "subject.name") for a request with neither a
// subject's name nor a prompt to draw initials from.
std::unique_ptr<ImageProvider> MakeAvatarImageProvider();

}  // namespace troupe::studio

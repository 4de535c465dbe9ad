#include "engine/transformer.h"

#include "engine/arch/decoder.h"
#include "engine/error.h"

namespace troupe::engine {

std::unique_ptr<Transformer> Transformer::Create(const GgufFile& file, const ModelSpec& spec,
                                                 int threads) {
  switch (spec.architecture) {
    case Architecture::kLlama: return arch::CreateLlama(file, spec, threads);
    case Architecture::kQwen2: return arch::CreateQwen2(file, spec, threads);
  }
  ThrowUnsupported(file.label() + ": architecture " + std::string(NameOf(spec.architecture)) +
                   " has no forward pass");
}

}  // namespace troupe::engine

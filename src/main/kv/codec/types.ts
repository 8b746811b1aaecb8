// The codec names are the shared vocabulary's; kv/ keeps its historical names for them.
export { CODECS as CODEC_NAMES, isCodec as isCodecName, type Codec as CodecName } from '../../../shared/vocabulary.ts';

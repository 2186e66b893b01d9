import Foundation
import SwiftProtobuf

/// A message that is its bytes: serialized exactly as given (well-formed protobuf or not),
/// and read back as whatever arrived. Lets the fuzzer send any bytes as any method's request.
struct RawMessage: Message, Sendable {
  static let protoMessageName = "ordp.fuzz.RawMessage"
  var bytes: [UInt8] = []
  var unknownFields = UnknownStorage()

  init() {}

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  mutating func decodeMessage<D: Decoder>(decoder: inout D) throws {
    // Every field is left unhandled: the decoder keeps them in `unknownFields`.
    while try decoder.nextFieldNumber() != nil {}
    bytes = Array(unknownFields.data)
  }

  func traverse<V: Visitor>(visitor: inout V) throws {
    if !bytes.isEmpty { try visitor.visitUnknown(bytes: Data(bytes)) }
  }

  func isEqualTo(message: any Message) -> Bool {
    (message as? RawMessage)?.bytes == bytes
  }

  var debugDescription: String { "RawMessage(\(bytes.count) bytes)" }
}

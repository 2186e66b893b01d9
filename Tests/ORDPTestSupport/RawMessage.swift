import Foundation
public import SwiftProtobuf

/// A message that is its bytes: serialized exactly as given (well-formed protobuf or not),
/// and read back as whatever arrived. Lets the API fuzzer and tests send any bytes as any
/// method's request (what a hostile caller can, and a generated client never does).
public struct RawMessage: Message, Sendable {
  public static let protoMessageName = "ordp.fuzz.RawMessage"
  public var bytes: [UInt8] = []
  public var unknownFields = UnknownStorage()

  public init() {}

  public init(_ bytes: [UInt8]) { self.bytes = bytes }

  public mutating func decodeMessage<D: Decoder>(decoder: inout D) throws {
    // Every field is left unhandled: the decoder keeps them in `unknownFields`.
    while try decoder.nextFieldNumber() != nil {}
    bytes = Array(unknownFields.data)
  }

  public func traverse<V: Visitor>(visitor: inout V) throws {
    if !bytes.isEmpty { try visitor.visitUnknown(bytes: Data(bytes)) }
  }

  public func isEqualTo(message: any Message) -> Bool {
    (message as? RawMessage)?.bytes == bytes
  }

  public var debugDescription: String { "RawMessage(\(bytes.count) bytes)" }
}

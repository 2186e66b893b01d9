import ArgumentParser
import Foundation
import NIOCore
import ORDPRPC
import SwiftProtobuf

/// `ordp call`: any method by its full name, requests and responses as JSON (protobuf's JSON
/// mapping), streaming included — like grpcurl.
struct Call: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Call any method by its full name; request and responses as JSON.",
    discussion: """
      The method as /package.Service/Method, package.Service/Method or package.Service.Method \
      (`ordp describe` lists them). The request is the JSON of -d, or of standard input with \
      -d @- or without -d; a method that takes a stream of requests takes a JSON array, \
      several objects or JSON lines. Each response is printed as one line of JSON. The \
      session's token is sent (see `ordp login`). Exit code 64 + status code when the call \
      fails, 1 when the request is not valid JSON for the method.
      """)

  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "The method, e.g. ordp.catalogue.v1.Catalogue/Search.") var method: String
  @Option(name: .customShort("d"), help: "The request as JSON, or @- for standard input.")
  var data: String?
  @Option(name: .customShort("H"), help: "Metadata to send, \"key: value\" (repeatable).")
  var header: [String] = []

  func run() async throws {
    guard let schema = ProtoCatalogue.schema(method) else {
      throw CLIError("no method \(method) (ordp describe lists them)")
    }
    let text: Data =
      if let data, data != "@-" { Data(data.utf8) } else {
        FileHandle.standardInput.readDataToEndOfFile()
      }
    let requests = try Self.requests(text, schema: schema)
    let channel = try connection.channel()
    defer { channel.close() }
    var options = try await connection.authorizedOptions(channel)
    if schema.descriptor.kind != .unary { options.timeout = nil }
    for entry in header {
      guard let colon = entry.firstIndex(of: ":") else {
        throw CLIError("-H takes \"key: value\", not \(entry)")
      }
      options.metadata.add(
        entry[..<colon].trimmingCharacters(in: .whitespaces).lowercased(),
        entry[entry.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }
    let print: @Sendable (ByteBuffer) throws -> Void = { buffer in
      let message = try schema.response.init(
        serializedBytes: Array(buffer.readableBytesView), extensions: nil, partial: false,
        options: BinaryDecodingOptions())
      let line = try message.jsonString()
      try writeOut(Data((line + "\n").utf8))
    }
    do {
      switch schema.descriptor.kind {
      case .unary:
        try print(
          try await channel.unaryRaw(schema.descriptor, request: requests[0], options: options))
      case .serverStreaming:
        try await channel.serverStreamingRaw(
          schema.descriptor, request: requests[0], options: options
        ) { responses in
          for try await response in responses { try print(response) }
        }
      case .clientStreaming, .bidirectionalStreaming:
        try await channel.streamingRaw(
          schema.descriptor, options: options,
          requests: { writer in
            for request in requests { try await writer.write(request) }
          }
        ) { responses in
          for try await response in responses { try print(response) }
        }
      }
    } catch let error as RPCError {
      throw failed(error)
    }
  }

  /// The request messages `text` holds, serialized: one for a method that takes one, any
  /// number for one that takes a stream.
  static func requests(_ text: Data, schema: MethodSchema) throws -> [ByteBuffer] {
    let objects: [Data]
    let trimmed = String(decoding: text, as: UTF8.self).trimmingCharacters(
      in: .whitespacesAndNewlines)
    if trimmed.isEmpty {
      objects = [Data("{}".utf8)]
    } else if let array = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [Any] {
      objects = try array.map { try JSONSerialization.data(withJSONObject: $0) }
    } else {
      objects = try JSONObjects.split(Data(trimmed.utf8))
    }
    if schema.descriptor.kind.hasSingleRequest, objects.count != 1 {
      throw CLIError(
        "\(schema.descriptor.path) takes one request, not \(objects.count)")
    }
    return try objects.enumerated().map { index, object in
      do {
        let message = try schema.request.init(
          jsonUTF8Bytes: object, extensions: nil, options: JSONDecodingOptions())
        return ByteBuffer(bytes: try message.serializedBytes() as [UInt8])
      } catch {
        throw CLIError(
          "request \(index + 1) is not a \(schema.request.protoMessageName) in JSON: \(error)")
      }
    }
  }
}

/// Consecutive JSON objects (`{…}{…}`, one per line or not) split apart.
enum JSONObjects {
  static func split(_ data: Data) throws -> [Data] {
    var objects: [Data] = []
    var depth = 0
    var inString = false
    var escaped = false
    var start: Int?
    for (offset, byte) in data.enumerated() {
      if inString {
        if escaped {
          escaped = false
        } else if byte == UInt8(ascii: "\\") {
          escaped = true
        } else if byte == UInt8(ascii: "\"") {
          inString = false
        }
        continue
      }
      switch byte {
      case UInt8(ascii: "\""): inString = true
      case UInt8(ascii: "{"):
        if depth == 0 { start = offset }
        depth += 1
      case UInt8(ascii: "}"):
        depth -= 1
        guard depth >= 0 else { throw CLIError("the request is not JSON: unbalanced }") }
        if depth == 0, let begin = start {
          objects.append(data.subdata(in: begin..<(offset + 1)))
          start = nil
        }
      case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"),
        UInt8(ascii: ","):
        break
      default:
        if depth == 0 { throw CLIError("the request is not JSON objects") }
      }
    }
    guard depth == 0, !inString else { throw CLIError("the request is not JSON: unfinished") }
    return objects
  }
}

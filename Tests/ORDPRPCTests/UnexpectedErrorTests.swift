import Logging
import NIOCore
import NIOEmbedded
import ORDPEcho
import SwiftProtobuf
import Synchronization
import Testing

@testable import ORDPRPC

/// An error a handler did not anticipate reaches the client as INTERNAL with a fixed message
/// and a request id; its cause goes to the server's log only.
@Suite struct UnexpectedErrorTests {
  struct DatabaseExploded: Error, CustomStringConvertible {
    var description: String { "SQLite error 11: database disk image is malformed (secret.sqlite)" }
  }

  /// Keeps every log line.
  final class LogRecorder: LogHandler, @unchecked Sendable {
    let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { metadata[key] }
      set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
      let fields = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted()
      lines.withLock { $0.append("\(event.message) \(fields.joined(separator: " "))") }
    }
  }

  static let failing = MethodDescriptor(service: "test.Failing", method: "Get", kind: .unary)

  func call(metadata: [(String, String)] = []) throws -> (RPCStatus, [String]) {
    let recorder = LogRecorder()
    let channel = try EmbeddedServer.channel(logger: Logger(label: "test") { _ in recorder }) {
      router in
      router.registerUnary(Self.failing) {
        (
          _: Ordp_Echo_V1_EchoRequest, _: ServerContext
        ) async throws -> Ordp_Echo_V1_EchoResponse
        in throw DatabaseExploded()
      }
    }
    var bytes = try EmbeddedServer.hello()
    var headers = Ordp_Rpc_V1_RequestHeaders()
    headers.method = Self.failing.path
    for (key, value) in metadata {
      var entry = Ordp_Rpc_V1_MetadataEntry()
      entry.key = key
      entry.text = value
      headers.metadata.append(entry)
    }
    try bytes.writeFrame(.headers, streamID: 1, message: headers)
    try bytes.writeFrame(.message, flags: .endStream, streamID: 1, message: echoRequest("x"))
    try channel.writeInbound(bytes)
    channel.embeddedEventLoop.run()
    let trailers = try #require(try EmbeddedServer.writtenFrames(channel).last)
    #expect(trailers.type == .trailers)
    _ = try channel.finish()
    return (
      RPCStatus(try Ordp_Rpc_V1_Status(buffer: trailers.payload)), recorder.lines.withLock { $0 }
    )
  }

  @Test func theClientGetsInternalWithARequestIDAndTheLogGetsTheCause() throws {
    let (status, log) = try call()
    #expect(status.code == .internal)
    #expect(!status.message.contains("SQLite") && !status.message.contains("secret"))
    let id = try #require(status.metadata["ordp-request-id"])
    #expect(status.message == "internal error (request id \(id))")
    #expect(id.count == 16)
    let line = try #require(log.first { $0.contains("request-id=\(id)") })
    #expect(line.contains("secret.sqlite") && line.contains("method=/test.Failing/Get"))
  }

  @Test func aSaneRequestIDFromTheCallerIsKeptAndAnOddOneReplaced() throws {
    let (kept, _) = try call(metadata: [("ordp-request-id", "gw-4711.a_b")])
    #expect(kept.metadata["ordp-request-id"] == "gw-4711.a_b")
    let (replaced, _) = try call(metadata: [("ordp-request-id", "bad id\n; DROP")])
    #expect(replaced.metadata["ordp-request-id"]?.count == 16)
  }
}

import NIOCore
import ORDPEcho
import ORDPGateway
import ORDPRPC
import ORDPServiceKit
import ORDPTestSupport
import Testing

/// The gateway's table and its edge metadata, in this process.
@Suite struct GatewayEdgeTests {
  @Test func everyPublicMethodHasAnEdgeRule() {
    #expect(GatewayMethods.missing.isEmpty)
    #expect(GatewayMethods.all.count == 25 + 9 + 9)
    let login = GatewayMethods.all.first {
      $0.descriptor.path == "/ordp.identity.v1.Identity/Login"
    }
    #expect(login?.access == .anonymous)
    let create = GatewayMethods.all.first {
      $0.descriptor.path == "/ordp.catalogue.v1.Catalogue/CreateDataset"
    }
    #expect(create?.access == .scope(.catalogueWrite) && create?.backend == .catalogue)
  }

  @Test func backendListsAreCheckedEntryByEntry() throws {
    let targets = try GatewayOptions.targets("10.0.0.1:7445,[::1]:7446,replica-3:1")
    #expect(targets.map(\.host) == ["10.0.0.1", "::1", "replica-3"])
    #expect(targets.map(\.port) == [7445, 7446, 1])
    for bad in ["", "host", "host:0", "host:65536", ":80", "a:1,b", "x:-1"] {
      #expect(throws: (any Error).self, "\(bad)") { try GatewayOptions.targets(bad) }
    }
    let many = (1...65).map { "h\($0):1" }.joined(separator: ",")
    #expect(throws: (any Error).self) { try GatewayOptions.targets(many) }
  }

  /// What a client says in `ordp-*` keys never reaches a backend; the call gets a request id.
  @Test func clientSentPlatformMetadataIsRemovedAndARequestIDAdded() async throws {
    let seen = ContextRecorder()
    let backend = ORDPServer(
      configuration: ServerConfiguration(host: "127.0.0.1", port: 0, security: .plaintext),
      services: [EchoService()], interceptors: [seen])
    let backendTask = Task { try await backend.run() }
    defer { backendTask.cancel() }
    let backendChannel = RPCChannel(
      host: "127.0.0.1", port: try await backend.localAddress.port!, security: .plaintext)
    defer { backendChannel.close() }
    let relay = ORDPServer(
      configuration: ServerConfiguration(host: "127.0.0.1", port: 0, security: .plaintext),
      services: [EchoRelay(backend: backendChannel)], interceptors: [EdgeMetadata()])
    let relayTask = Task { try await relay.run() }
    defer { relayTask.cancel() }
    let channel = RPCChannel(
      host: "127.0.0.1", port: try await relay.localAddress.port!, security: .plaintext)
    defer { channel.close() }
    let client = Ordp_Echo_V1_Echo_Client(channel: channel)

    var options = CallOptions()
    options.metadata.add("ordp-subject", "user:admin")
    options.metadata.add("ordp-org", "soest")
    options.metadata.add("ordp-request-id", "not a sane id!")
    options.metadata.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    _ = try await client.get(.with { $0.text = "x" }, options: options)
    let metadata = try #require(seen.last?.context.requestMetadata)
    #expect(metadata["ordp-subject"] == nil && metadata["ordp-org"] == nil)
    let id = try #require(metadata["ordp-request-id"])
    #expect(id.count == 16 && id != "not a sane id!")
    #expect(metadata.values("ordp-request-id").count == 1)
    #expect(metadata["traceparent"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")

    var sane = CallOptions()
    sane.metadata.add("ordp-request-id", "erp-7.batch_12")
    _ = try await client.get(.with { $0.text = "y" }, options: sane)
    #expect(seen.last?.context.requestMetadata["ordp-request-id"] == "erp-7.batch_12")
  }
}

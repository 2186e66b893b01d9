import NIOCore
import ORDPEcho
import ORDPRPC
import ORDPServiceKit
import Prometheus
import Synchronization
import Testing

@Suite struct ObservabilityTests {
  /// Every call that ends is counted by method and status, refused and unknown ones too; an
  /// unknown method is counted as "unknown", whatever its name, so callers cannot grow the
  /// label set.
  @Test func callsAreCountedByMethodAndStatus() async throws {
    let registry = PrometheusCollectorRegistry()
    let seen = EndedCalls()
    var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, security: .plaintext)
    configuration.observer = CallObservers([CallMetrics(registry: registry), seen])
    let server = ORDPServer(configuration: configuration, services: [EchoService()])
    let task = Task { try await server.run() }
    defer { task.cancel() }
    let channel = RPCChannel(
      host: "127.0.0.1", port: try await server.localAddress.port!, security: .plaintext)
    defer { channel.close() }
    let client = Ordp_Echo_V1_Echo_Client(channel: channel)
    for _ in 0..<3 { _ = try await client.get(.with { $0.text = "ok" }) }
    _ = try? await client.get(
      .with {
        $0.text = "gone"
        $0.failCode = 5
      })
    for name in ["Nope", "Nope\nforged line", "Other"] {
      _ = try? await channel.unaryRaw(
        MethodDescriptor(service: "ordp.x.v1.X", method: name, kind: .unary),
        request: ByteBuffer())
    }
    // The observer runs after the status is written: wait until it has seen all seven.
    for _ in 0..<200 where seen.count < 7 { try await Task.sleep(for: .milliseconds(10)) }

    let text = registry.emitToString()
    #expect(text.contains(#"ordp_calls_total{method="/ordp.echo.v1.Echo/Get",code="OK"} 3"#))
    #expect(
      text.contains(#"ordp_calls_total{method="/ordp.echo.v1.Echo/Get",code="NOT_FOUND"} 1"#))
    #expect(text.contains(#"ordp_calls_total{method="unknown",code="UNIMPLEMENTED"} 3"#))
    #expect(!text.contains("Nope"))
    #expect(text.contains(#"ordp_call_duration_seconds_count{method="/ordp.echo.v1.Echo/Get"} 4"#))
    #expect(seen.count == 7)
  }

  @Test func accessLogFieldsCannotBeForged() {
    #expect(AccessLog.printable("/a/b\nforged=1\u{1B}[2J") == "/a/b?forged=1?[2J")
    #expect(AccessLog.printable(String(repeating: "x", count: 1000)).count == 128)
    #expect(
      AccessLog.traceID("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        == "4bf92f3577b34da6a3ce929d0e0e4736")
    #expect(AccessLog.traceID("00-not-a-trace-01") == nil)
    #expect(AccessLog.traceID("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01") == nil)
  }
}

/// Counts the calls an observer saw.
final class EndedCalls: CallObserver {
  private let calls = Mutex<[EndedCall]>([])
  var count: Int { calls.withLock { $0.count } }

  func callEnded(_ call: EndedCall) { calls.withLock { $0.append(call) } }
}

import Foundation
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

/// The metrics port as a hostile client meets it: huge bodies, many connections, junk.
@Suite struct MetricsEndpointTests {
  @Test func hostileHTTPClientsNeitherGrowItNorStopIt() async throws {
    let registry = PrometheusCollectorRegistry()
    let endpoint = MetricsEndpoint(registry: registry, host: "127.0.0.1", port: 0)
    let task = Task { try await endpoint.run() }
    defer { task.cancel() }
    let port = try await endpoint.boundPort

    // Connections beyond the limit are closed at once; those within it stay open. (Which
    // ones are closed depends on the order their event loops take them: count them.)
    var held: [Int32] = []
    defer { for fd in held { close(fd) } }
    let extra = 8
    for _ in 0..<(MetricsEndpoint.maximumConnections + extra) { held.append(try connectTCP(port)) }
    var closedCount = 0
    for _ in 0..<100 {
      closedCount = held.filter(isClosed).count
      if closedCount >= extra { break }
      try await Task.sleep(for: .milliseconds(50))
    }
    try await Task.sleep(for: .milliseconds(200))
    #expect(held.filter(isClosed).count == extra)
    // Free them again; then a 4 MiB body and junk are answered or dropped, and a scrape works.
    for fd in held { close(fd) }
    held = []
    try await Task.sleep(for: .milliseconds(200))
    let big = try connectTCP(port)
    let body = String(repeating: "x", count: 4 << 20)
    send(
      big, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
    #expect(read(big, until: "\r\n\r\n").text.hasPrefix("HTTP/1.1 404"))
    close(big)
    let junk = try connectTCP(port)
    send(junk, "\u{0}\u{1}not http at all\r\n\r\n")
    #expect(read(junk).closed)
    close(junk)
    let scrape = try connectTCP(port)
    send(scrape, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    #expect(read(scrape, until: "\r\n\r\n").text.hasPrefix("HTTP/1.1 200"))
    close(scrape)
  }
}

/// Whether the peer has closed `fd` (reading would return end of file at once).
private func isClosed(_ fd: Int32) -> Bool {
  var byte: UInt8 = 0
  return recv(fd, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK)) == 0
}

/// A blocking TCP connection to 127.0.0.1:`port` with a 5 s receive timeout.
private func connectTCP(_ port: Int) throws -> Int32 {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_port = UInt16(port).bigEndian
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  let result = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
    }
  }
  guard result == 0 else { throw RPCError(.unavailable, "connect failed") }
  var timeout = timeval(tv_sec: 5, tv_usec: 0)
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
  return fd
}

private func send(_ fd: Int32, _ text: String) {
  var bytes = Array(text.utf8)[...]
  while !bytes.isEmpty {
    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    if n <= 0 { return }
    bytes = bytes.dropFirst(n)
  }
}

/// What arrives until the peer closes (`closed`), the 5 s timeout passes, or (with `marker`)
/// the text contains it.
private func read(_ fd: Int32, until marker: String? = nil) -> (text: String, closed: Bool) {
  var data: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 65_536)
  while true {
    let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
    if n == 0 { return (String(decoding: data, as: UTF8.self), true) }
    if n < 0 { return (String(decoding: data, as: UTF8.self), false) }
    data += buffer[0..<n]
    if let marker, String(decoding: data, as: UTF8.self).contains(marker) {
      return (String(decoding: data, as: UTF8.self), false)
    }
  }
}

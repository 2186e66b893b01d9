import CORDPClient
import Foundation
import NIOCore
import NIOPosix
import ORDPEcho
import ORDPRPC
import ORDPTestSupport
import Testing

/// The C client library (OpenSSL + protobuf-c) against the Swift server: the two
/// implementations of ORDP/1 keep each other honest.
@Suite struct CLibraryTests {
  /// Runs blocking C code on a thread pool thread, not on Swift's cooperative pool.
  func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
  }

  struct Outcome: Sendable {
    var code: UInt32
    var message: String
    var texts: [String] = []
    var peer = ""
    var payloadBytes = 0
  }

  /// Connects with the C library and runs `body` on the connection.
  func withCConnection(
    port: Int, host: String = "localhost", ca: String? = TestPKI.shared.caFile,
    clientCert: Bool = false,
    plaintext: Bool = false, _ body: @escaping @Sendable (OpaquePointer) -> Outcome
  ) async throws -> Outcome {
    try await blocking {
      var options = ordp_options()
      var status = ordp_status()
      return host.withCString { hostC in
        withOptionalCString(ca) { caC in
          withOptionalCString(clientCert ? TestPKI.shared.clientCertFile : nil) { certC in
            withOptionalCString(clientCert ? TestPKI.shared.clientKeyFile : nil) { keyC in
              options.host = hostC
              options.port = Int32(port)
              options.ca_file = caC
              options.cert_file = certC
              options.key_file = keyC
              options.plaintext = plaintext ? 1 : 0
              options.io_timeout_ms = 5000
              var conn: OpaquePointer? = nil
              let code = ordp_connect(&options, &conn, &status)
              guard code == 0, let conn else {
                return Outcome(code: code, message: message(of: &status))
              }
              defer { ordp_close(conn) }
              return body(conn)
            }
          }
        }
      }
    }
  }

  @Test func healthCheckOverTLS() async throws {
    try await withServer { _, port in
      let outcome = try await withCConnection(port: port) { conn in
        var request = Grpc__Health__V1__HealthCheckRequest()
        grpc__health__v1__health_check_request__init(&request)
        var status = ordp_status()
        var response: UnsafeMutablePointer<ProtobufCMessage>? = nil
        let code = withUnsafeMutablePointer(to: &request) { req in
          req.withMemoryRebound(to: ProtobufCMessage.self, capacity: 1) { base in
            ordp_unary(
              conn, "/grpc.health.v1.Health/Check", base,
              withUnsafePointer(to: grpc__health__v1__health_check_response__descriptor) { $0 },
              &response, nil, &status)
          }
        }
        var outcome = Outcome(code: code, message: message(of: &status))
        if let response {
          let r = UnsafeMutableRawPointer(response).assumingMemoryBound(
            to: Grpc__Health__V1__HealthCheckResponse.self)
          outcome.texts = ["\(r.pointee.status.rawValue)"]
          protobuf_c_message_free_unpacked(response, nil)
        }
        return outcome
      }
      #expect(outcome.code == 0, "\(outcome.message)")
      #expect(
        outcome.texts == [
          "\(GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING.rawValue)"
        ])
    }
  }

  @Test func unaryEchoWithMutualTLSAndMetadata() async throws {
    try await withServer(security: TestPKI.serverSecurity(clientCertificates: .required)) {
      _, port in
      let outcome = try await withCConnection(port: port, clientCert: true) { conn in
        cEcho(conn, text: "aus C", metadata: ("x-echo", "Olpe"))
      }
      #expect(outcome.code == 0, "\(outcome.message)")
      #expect(outcome.texts == ["aus C", "Olpe"])
      #expect(outcome.peer == "spiffe://ordp/service/catalogue")
    }
  }

  @Test func statusCodesAndMessagesComeThrough() async throws {
    try await withServer { _, port in
      let failing = try await withCConnection(port: port) { conn in
        cEcho(conn, text: "kein Zugriff", failCode: 7)
      }
      #expect(failing.code == 7)
      #expect(failing.message == "kein Zugriff")
      let unknown = try await withCConnection(port: port) { conn in
        cEcho(conn, text: "x", method: "/ordp.echo.v1.Echo/Missing")
      }
      #expect(unknown.code == 12)
      let late = try await withCConnection(port: port) { conn in
        cEcho(conn, text: "x", delayMicros: 2_000_000, timeoutMicros: 200_000)
      }
      #expect(late.code == 4)
      // The connection survives failed calls.
      let again = try await withCConnection(port: port) { conn in
        let first = cEcho(conn, text: "eins", failCode: 5)
        let second = cEcho(conn, text: "zwei")
        return Outcome(
          code: first.code * 100 + second.code, message: second.message, texts: second.texts)
      }
      #expect(again.code == 500)
      #expect(again.texts.first == "zwei")
    }
  }

  @Test func serverStreamBeyondTheFlowControlWindow() async throws {
    try await withServer { _, port in
      let outcome = try await withCConnection(port: port) { conn in
        cExpand(conn, repeat: 48, payload: 65_536)
      }
      #expect(outcome.code == 0, "\(outcome.message)")
      #expect(outcome.texts.count == 48)
      #expect(outcome.payloadBytes == 48 * 65_536)
    }
  }

  @Test func untrustedServerAndPlaintextMismatchFailCleanly() async throws {
    try await withServer { _, port in
      let untrusted = try await withCConnection(
        port: port, ca: "/etc/ssl/certs/ca-certificates.crt"
      ) { _ in
        Outcome(code: 0, message: "connected")
      }
      #expect(untrusted.code == 14)
      #expect(untrusted.message.contains("certificate"))
      let plaintextToTLS = try await withCConnection(port: port, plaintext: true) { _ in
        Outcome(code: 0, message: "connected")
      }
      #expect(plaintextToTLS.code == 14)
    }
  }

  @Test func healthCheckExampleProgram() async throws {
    let binary = productsDirectory.appendingPathComponent("ordp-health-check")
    try #require(
      FileManager.default.fileExists(atPath: binary.path), "build ordp-health-check first")
    try await withServer { _, port in
      let (status, output) = try await run(
        binary, ["--host", "localhost", "--port", "\(port)", "--ca", TestPKI.shared.caFile])
      #expect(status == 0)
      #expect(output.contains("SERVING"))
      let (badStatus, _) = try await run(
        binary,
        [
          "--host", "localhost", "--port", "\(port)", "--ca", TestPKI.shared.caFile, "--service",
          "nope",
        ])
      #expect(badStatus == 1)
    }
  }
}

// MARK: - C call helpers

private func message(of status: inout ordp_status) -> String {
  withUnsafeBytes(of: &status.message) { raw in
    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
  }
}

private func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
  guard let s else { return body(nil) }
  return s.withCString { body($0) }
}

private func string(_ p: UnsafeMutablePointer<CChar>?) -> String {
  p.map { String(cString: $0) } ?? ""
}

private func cEcho(
  _ conn: OpaquePointer, text: String, method: String = "/ordp.echo.v1.Echo/Get",
  failCode: UInt32 = 0,
  delayMicros: UInt64 = 0, timeoutMicros: UInt64 = 0, metadata: (String, String)? = nil
) -> CLibraryTests.Outcome {
  var request = Ordp__Echo__V1__EchoRequest()
  ordp__echo__v1__echo_request__init(&request)
  let textC = strdup(text)
  defer { free(textC) }
  request.text = textC
  request.fail_code = failCode
  request.delay_micros = delayMicros
  var status = ordp_status()
  var response: UnsafeMutablePointer<ProtobufCMessage>? = nil
  let keyC = strdup(metadata?.0 ?? "")
  let valueC = strdup(metadata?.1 ?? "")
  defer {
    free(keyC)
    free(valueC)
  }
  var entry = ordp_metadata(key: keyC, value: valueC)
  var call = ordp_call_options()
  call.timeout_micros = timeoutMicros
  let code = withUnsafePointer(to: &entry) { entryPointer in
    call.metadata = metadata == nil ? nil : entryPointer
    call.metadata_count = metadata == nil ? 0 : 1
    return withUnsafeMutablePointer(to: &request) { req in
      req.withMemoryRebound(to: ProtobufCMessage.self, capacity: 1) { base in
        withUnsafePointer(to: ordp__echo__v1__echo_response__descriptor) { descriptor in
          ordp_unary(conn, method, base, descriptor, &response, &call, &status)
        }
      }
    }
  }
  var outcome = CLibraryTests.Outcome(code: code, message: message(of: &status))
  if let response {
    let r = UnsafeMutableRawPointer(response).assumingMemoryBound(
      to: Ordp__Echo__V1__EchoResponse.self)
    outcome.texts = [string(r.pointee.text), string(r.pointee.echoed_metadata)]
    outcome.peer = string(r.pointee.peer_identity)
    protobuf_c_message_free_unpacked(response, nil)
  }
  return outcome
}

private func cExpand(
  _ conn: OpaquePointer, repeat count: UInt32, payload: Int
) -> CLibraryTests.Outcome {
  var request = Ordp__Echo__V1__EchoRequest()
  ordp__echo__v1__echo_request__init(&request)
  let textC = strdup("stream")
  let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: payload)
  bytes.initialize(repeating: 1, count: payload)
  defer {
    free(textC)
    bytes.deallocate()
  }
  request.text = textC
  request.repeat = count
  request.payload = ProtobufCBinaryData(len: payload, data: bytes)
  var status = ordp_status()
  var stream: OpaquePointer? = nil
  let code = withUnsafeMutablePointer(to: &request) { req in
    req.withMemoryRebound(to: ProtobufCMessage.self, capacity: 1) { base in
      ordp_server_stream(conn, "/ordp.echo.v1.Echo/Expand", base, nil, &stream, &status)
    }
  }
  guard code == 0, let stream else { return .init(code: code, message: message(of: &status)) }
  defer { ordp_stream_free(stream) }
  var outcome = CLibraryTests.Outcome(code: 0, message: "")
  var message_: UnsafeMutablePointer<ProtobufCMessage>? = nil
  while withUnsafePointer(
    to: ordp__echo__v1__echo_response__descriptor,
    { ordp_stream_next(stream, $0, &message_, &status) }) == 1
  {
    let r = UnsafeMutableRawPointer(message_!).assumingMemoryBound(
      to: Ordp__Echo__V1__EchoResponse.self)
    outcome.texts.append(string(r.pointee.text))
    outcome.payloadBytes += r.pointee.payload.len
    protobuf_c_message_free_unpacked(message_, nil)
  }
  outcome.code = status.code
  outcome.message = message(of: &status)
  return outcome
}

import Foundation
import NIOSSL
import ORDPIdentityAPI
import ORDPPKI
import ORDPRPC
import Testing

/// The folder holding the built products next to the tests.
let productsDirectory: URL = {
  var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  for _ in 0..<4 {
    if FileManager.default.fileExists(atPath: url.appendingPathComponent("ordp-identity").path) {
      return url
    }
    url = url.deletingLastPathComponent()
  }
  return Bundle.main.bundleURL
}()

/// TLS material for the identity processes of one test run: a development CA and a server
/// certificate for 127.0.0.1.
enum IdentityPKI {
  static let directory: URL = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-identity-pki-\(getpid())")
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let ca = try! DevelopmentCA()
    let server = try! ca.issue(
      commonName: "identity", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"],
      uris: ["spiffe://ordp/service/identity"])
    try! ca.certificatePEM.write(
      to: dir.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
    try! server.certificatePEM.write(
      to: dir.appendingPathComponent("server.pem"), atomically: true, encoding: .utf8)
    try! server.privateKeyPEM.write(
      to: dir.appendingPathComponent("server-key.pem"), atomically: true, encoding: .utf8)
    return dir
  }()

  static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

/// A real `ordp-identity` process on loopback with TLS, fast scrypt parameters and a small
/// lockout threshold.
final class IdentityProcess: Sendable {
  static let adminPassword = "Platform-Root-Test-Passphrase"
  static let lockThreshold = 4
  static let lockSeconds = 3

  let process: Process
  let port: Int
  let dataDirectory: URL

  static func start(
    dataDirectory: URL? = nil, extraArguments: [String] = []
  ) async throws
    -> IdentityProcess
  {
    let executable = productsDirectory.appendingPathComponent("ordp-identity")
    try #require(
      FileManager.default.fileExists(atPath: executable.path),
      "build the ordp-identity executable first")
    let data =
      dataDirectory
      ?? FileManager.default.temporaryDirectory.appendingPathComponent(
        "ordp-identity-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    let passwordFile = data.appendingPathComponent("admin-password.txt")
    try adminPassword.write(to: passwordFile, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = executable
    process.arguments =
      [
        "--port", "0", "--data-dir", data.path, "--tls-cert", IdentityPKI.path("server.pem"),
        "--tls-key", IdentityPKI.path("server-key.pem"), "--initial-admin-password-file",
        passwordFile.path, "--scrypt-log-n", "10", "--lock-threshold", "\(lockThreshold)",
        "--lock-seconds", "\(lockSeconds)", "--free-failures", "2", "--log-level", "error",
      ] + extraArguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let handle = pipe.fileHandleForReading
    let line = await Task.detached { () -> String in
      var data = Data()
      while !data.contains(UInt8(ascii: "\n")) {
        let chunk = handle.availableData
        if chunk.isEmpty { break }
        data.append(chunk)
      }
      return String(decoding: data, as: UTF8.self)
    }.value
    guard let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
      let port = Int(line[range].split(separator: ":")[1])
    else {
      process.terminate()
      throw RPCError(.internal, "ordp-identity printed no address: \(line)")
    }
    return IdentityProcess(process: process, port: port, dataDirectory: data)
  }

  private init(process: Process, port: Int, dataDirectory: URL) {
    self.process = process
    self.port = port
    self.dataDirectory = dataDirectory
  }

  func channel() throws -> RPCChannel {
    RPCChannel(
      host: "127.0.0.1", port: port,
      security: .tls(
        trustRoots: try NIOSSLCertificate.fromPEMFile(IdentityPKI.path("ca.pem")),
        serverHostname: "localhost"))
  }

  /// Ends the process: SIGTERM (graceful) or SIGKILL.
  func stop(signal: Int32 = SIGTERM) {
    kill(process.processIdentifier, signal)
    process.waitUntilExit()
  }
}

/// Call options carrying an access token.
func bearer(_ token: String) -> CallOptions {
  CallOptions(timeout: .seconds(20), metadata: Metadata(["authorization": "Bearer \(token)"]))
}

/// The status code a call failed with (nil when it succeeded).
func statusOf(_ body: () async throws -> some Any) async -> RPCError? {
  do {
    _ = try await body()
    return nil
  } catch let error as RPCError {
    return error
  } catch {
    return RPCError(.unknown, "\(error)")
  }
}

extension Ordp_Identity_V1_Identity_Client {
  func login(_ username: String, _ password: String) async throws -> Ordp_Identity_V1_TokenResponse
  {
    var request = Ordp_Identity_V1_LoginRequest()
    request.username = username
    request.password = password
    return try await login(request, options: CallOptions(timeout: .seconds(20)))
  }

  /// Creates a user with one membership (as `token`'s holder).
  func createUser(
    _ username: String, password: String = "Correct-Horse-Battery-7", in organisation: String?,
    role: Ordp_Identity_V1_Role = .viewer, token: String
  ) async throws -> Ordp_Identity_V1_User {
    var request = Ordp_Identity_V1_CreateUserRequest()
    request.username = username
    request.password = password
    if let organisation {
      var membership = Ordp_Identity_V1_Membership()
      membership.organisationID = organisation
      membership.role = role
      request.memberships = [membership]
    }
    return try await createUser(request, options: bearer(token))
  }
}

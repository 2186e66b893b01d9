public import Foundation
public import ORDPIdentityAPI
import ORDPPKI
public import ORDPRPC

/// The folder holding the built products next to the tests.
public let productsDirectory: URL = {
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
public enum IdentityPKI {
  public static let directory: URL = {
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

  public static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

/// A real `ordp-identity` process on loopback with TLS, fast scrypt parameters and a small
/// lockout threshold.
public final class IdentityProcess: Sendable {
  public static let adminPassword = "Platform-Root-Test-Passphrase"
  public static let lockThreshold = 4
  public static let lockSeconds = 3

  public let service: ServiceProcess
  public var process: Process { service.process }
  public var port: Int { service.port }
  public var dataDirectory: URL { service.dataDirectory }

  public static func start(
    dataDirectory: URL? = nil, extraArguments: [String] = []
  ) async throws
    -> IdentityProcess
  {
    let data =
      dataDirectory
      ?? FileManager.default.temporaryDirectory.appendingPathComponent(
        "ordp-identity-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    let passwordFile = data.appendingPathComponent("admin-password.txt")
    try adminPassword.write(to: passwordFile, atomically: true, encoding: .utf8)
    return IdentityProcess(
      service: try await ServiceProcess.start(
        "ordp-identity",
        arguments: [
          "--initial-admin-password-file", passwordFile.path, "--scrypt-log-n", "10",
          "--lock-threshold", "\(lockThreshold)", "--lock-seconds", "\(lockSeconds)",
          "--free-failures", "2",
        ] + extraArguments, dataDirectory: data))
  }

  private init(service: ServiceProcess) { self.service = service }

  public func channel() throws -> RPCChannel { try service.channel() }

  /// Ends the process: SIGTERM (graceful) or SIGKILL.
  public func stop(signal: Int32 = SIGTERM) { service.stop(signal: signal) }
}

/// Call options carrying an access token.
public func bearer(_ token: String) -> CallOptions {
  CallOptions(timeout: .seconds(20), metadata: Metadata(["authorization": "Bearer \(token)"]))
}

/// The status code a call failed with (nil when it succeeded).
public func statusOf(_ body: () async throws -> some Any) async -> RPCError? {
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
  public func login(
    _ username: String, _ password: String
  ) async throws -> Ordp_Identity_V1_TokenResponse {
    var request = Ordp_Identity_V1_LoginRequest()
    request.username = username
    request.password = password
    return try await login(request, options: CallOptions(timeout: .seconds(20)))
  }

  /// Creates a user with one membership (as `token`'s holder).
  public func createUser(
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

  /// Creates users, each a member of one town with one role, and logs them in: their access
  /// tokens by username, with the platform admin's under "root".
  public func tokens(
    for users: [(name: String, town: String, role: Ordp_Identity_V1_Role)]
  ) async throws -> [String: String] {
    let root = try await login("admin", IdentityProcess.adminPassword).accessToken
    var tokens = ["root": root]
    for user in users {
      _ = try await createUser(user.name, in: user.town, role: user.role, token: root)
      tokens[user.name] = try await login(user.name, "Correct-Horse-Battery-7").accessToken
    }
    return tokens
  }

  /// A service account of `town` named `name` with an API key of `scopes` (made by `admin`'s
  /// token holder): the key and an access token exchanged for it.
  public func serviceKey(
    _ name: String, in town: String, scopes: [String], admin: String
  ) async throws -> (key: Ordp_Identity_V1_CreateApiKeyResponse, token: String) {
    let account = try await createServiceAccount(
      .with {
        $0.organisationID = town
        $0.name = name
      }, options: bearer(admin))
    let key = try await createApiKey(
      .with {
        $0.serviceAccountID = account.id
        $0.scopes = scopes
      }, options: bearer(admin))
    return (key, try await exchangeApiKey(.with { $0.apiKey = key.secret }).accessToken)
  }
}

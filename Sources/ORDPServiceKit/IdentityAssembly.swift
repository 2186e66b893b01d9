public import Foundation
public import Logging
import ORDPAuth
public import ORDPIdentity
import ORDPIdentityAPI

/// Identity put together: its runtime (store, keys, hashing, verifier), its service and its
/// housekeeping.
public enum IdentityAssembly {
  public static let defaultPort = 7444

  /// Starts identity's runtime from `options` (with `demoUsersPasswordFile`, also the demo
  /// users `<town>.admin`, `.editor`, `.viewer` with the password in that file, generated when
  /// missing) and assembles the service. The runtime is returned too: services in the same
  /// process verify tokens with it (`IdentityLink.local`).
  public static func assemble(
    _ options: IdentityRuntime.Options, demoUsersPasswordFile: URL? = nil, logger: Logger
  ) async throws -> (assembly: ServiceAssembly, runtime: IdentityRuntime) {
    let runtime = try await IdentityRuntime.start(options: options, logger: logger)
    if let demoUsersPasswordFile {
      let password = try demoPassword(in: demoUsersPasswordFile)
      let created = try await runtime.seedDemoUsers(password: password)
      if !created.isEmpty { logger.info("created \(created.count) demo users") }
    }
    let assembly = ServiceAssembly(
      name: "ordp-identity", defaultPort: defaultPort, services: [runtime.service],
      healthNames: [Ordp_Identity_V1_Identity.serviceName],
      anonymousMethods: IdentityService.anonymousMethods, verifier: runtime.verifier,
      background: [runtime.maintenance], shutdown: { try await runtime.shutdown() })
    return (assembly, runtime)
  }

  /// The demo users' password: read from `file`, written there first (owner-only) when
  /// missing.
  static func demoPassword(in file: URL) throws -> String {
    if let existing = try? String(contentsOf: file, encoding: .utf8) {
      return existing.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    let password = "Demo-" + UUID().uuidString.prefix(18)
    try SecretFile.write(password + "\n", to: file)
    return password
  }
}

extension IdentityLink {
  /// Identity in this process: its verifier (kept current by its housekeeping) and its store's
  /// town names.
  public static func local(_ runtime: IdentityRuntime) -> IdentityLink {
    IdentityLink(
      verifier: runtime.verifier,
      towns: {
        let organisations = (try? await runtime.store.organisations(includeInactive: true)) ?? []
        return Dictionary(
          organisations.map {
            ($0.id, TownInfo(name: $0.displayName, municipalityKey: $0.municipalityKey ?? ""))
          }, uniquingKeysWith: { a, _ in a })
      }, background: [], close: {})
  }
}

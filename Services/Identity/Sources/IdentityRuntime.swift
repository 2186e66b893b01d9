public import Foundation
public import Logging
import NIOPosix
public import ORDPAuth
import ORDPRPC
public import ServiceLifecycle

/// Everything identity needs to serve: the store, the service, its own token verifier and the
/// housekeeping that runs beside the server.
public final class IdentityRuntime: Sendable {
  public struct Options: Sendable {
    public var dataDirectory: URL
    /// Towns to seed; nil for the file shipped with the service.
    public var organisationsFile: URL?
    /// Password of the first platform admin ("admin") when there is none yet; nil to generate
    /// one and write it to `<data directory>/initial-admin-password`.
    public var initialAdminPassword: String?
    public var configuration = IdentityConfiguration()
    /// Threads that run password hashing (and bound its memory).
    public var hashingThreads = ProcessInfo.processInfo.activeProcessorCount

    public init(dataDirectory: URL) {
      self.dataDirectory = dataDirectory
    }
  }

  public let service: IdentityService
  public let verifier: AccessTokenVerifier
  public let store: any IdentityStore
  let keys: SigningKeyRing
  let pool: NIOThreadPool
  let logger: Logger

  private init(
    service: IdentityService, verifier: AccessTokenVerifier, store: any IdentityStore,
    keys: SigningKeyRing, pool: NIOThreadPool, logger: Logger
  ) {
    self.service = service
    self.verifier = verifier
    self.store = store
    self.keys = keys
    self.pool = pool
    self.logger = logger
  }

  /// Opens the store, migrates it, seeds the towns and the first admin, loads signing keys.
  public static func start(options: Options, logger: Logger) async throws -> IdentityRuntime {
    let clock: @Sendable () -> Micros = { Int64(Date().timeIntervalSince1970 * 1_000_000) }
    let store = try SQLiteIdentityStore(directory: options.dataDirectory)
    let seeded = try await store.seedOrganisations(
      OrganisationSeed.load(from: options.organisationsFile).records(now: clock()))
    if seeded > 0 { logger.info("seeded \(seeded) organisations") }
    let pool = NIOThreadPool(numberOfThreads: max(1, options.hashingThreads))
    pool.start()
    let configuration = options.configuration
    let hasher = PasswordHasher(parameters: configuration.scrypt, pool: pool)
    let keys = SigningKeyRing(store: store, retention: configuration.publicationRetention)
    try await keys.load(now: clock())
    var verifierConfiguration = AccessTokenVerifier.Configuration(
      issuer: configuration.issuer, audience: configuration.audience)
    verifierConfiguration.leeway = Double(configuration.leeway) / 1_000_000
    verifierConfiguration.revocationSyncInterval = .seconds(1)
    verifierConfiguration.keyRefreshInterval = .milliseconds(100)
    let verifier = AccessTokenVerifier(
      configuration: verifierConfiguration,
      source: LocalKeySource(store: store, keys: keys, clock: clock), logger: logger)
    try await verifier.refreshKeys()
    try await verifier.syncRevocations()
    let service = IdentityService(
      store: store, configuration: configuration, hasher: hasher,
      policy: try PasswordPolicy.standard(), keys: keys,
      dummyHash: try await hasher.makeDummyHash(),
      logger: logger, clock: clock)
    let runtime = IdentityRuntime(
      service: service, verifier: verifier, store: store, keys: keys, pool: pool, logger: logger)
    try await runtime.ensurePlatformAdmin(options: options)
    return runtime
  }

  /// The interceptor that authenticates identity's own calls.
  public var interceptor: BearerTokenInterceptor {
    BearerTokenInterceptor(verifier: verifier, anonymousMethods: IdentityService.anonymousMethods)
  }

  /// Housekeeping to run beside the server (in a service group).
  public var maintenance: some Service { IdentityMaintenance(runtime: self) }

  /// Stops the hashing threads.
  public func shutdown() async throws {
    try await pool.shutdownGracefully()
  }

  private func ensurePlatformAdmin(options: Options) async throws {
    guard try await !store.hasPlatformAdmin() else { return }
    let password: String
    if let given = options.initialAdminPassword {
      password = given
    } else {
      password = IdentityService.randomSecret(bytes: 18)
      let file = options.dataDirectory.appendingPathComponent("initial-admin-password")
      try SecretFile.write(password + "\n", to: file)
      logger.notice("created platform admin \"admin\"; its password is in \(file.path)")
    }
    if let problem = service.policy.problem(with: password, username: "admin") {
      throw IdentityStartupError(message: "the initial admin password \(problem)")
    }
    let existing = try await store.user(username: "admin")
    let now = service.now
    let hash = try await service.hasher.hash(password)
    let audit = AuditRecord(
      at: now, actor: "system", action: "user.bootstrap-admin",
      target: existing?.subject ?? "user:admin")
    if let existing {
      _ = try await store.modifyUser(id: existing.id, revocationExpiry: now) { admin in
        admin.passwordHash = hash
        admin.platformAdmin = true
        admin.disabled = false
        return UserUpdate(revocation: .sessions, audit: audit)
      }
    } else {
      let admin = UserRecord(
        id: UUID().uuidString.lowercased(), username: "admin", displayName: "Platform admin",
        email: "", passwordHash: hash, platformAdmin: true, disabled: false, createdAt: now,
        memberships: [])
      var created = audit
      created.target = admin.subject
      try await store.insertUser(admin, audit: created)
    }
  }

  /// Creates demo users (an admin, an editor and a viewer per active town, e.g.
  /// "arnsberg.admin") with `password`, unless they exist. For `ordp dev up` only.
  public func seedDemoUsers(password: String) async throws -> [String] {
    var created: [String] = []
    let hash = try await service.hasher.hash(password)
    for organisation in try await store.organisations(includeInactive: false) {
      for role in [MemberRole.admin, .editor, .viewer] {
        let username = "\(organisation.id).\(role.rawValue)"
        guard try await store.user(username: username) == nil else { continue }
        let user = UserRecord(
          id: UUID().uuidString.lowercased(), username: username,
          displayName: "\(organisation.displayName) (\(role.rawValue))", email: "",
          passwordHash: hash, platformAdmin: false, disabled: false, createdAt: service.now,
          memberships: [MembershipRecord(organisationID: organisation.id, role: role)])
        try await store.insertUser(
          user,
          audit: AuditRecord(
            at: service.now, actor: "system", action: "user.create", target: user.subject,
            organisations: [organisation.id], detail: "demo user \(username)"))
        created.append(username)
      }
    }
    return created
  }
}

/// Keeps identity tidy while it runs: its verifier's revocations current, signing keys
/// rotated on schedule, expired sessions and revocations deleted.
struct IdentityMaintenance: Service {
  let runtime: IdentityRuntime

  func run() async throws {
    await cancelWhenGracefulShutdown {
      await withTaskGroup(of: Void.self) { group in
        group.addTask { try? await runtime.verifier.run() }
        group.addTask { await housekeeping() }
        await group.waitForAll()
      }
    }
  }

  private func housekeeping() async {
    let service = runtime.service
    while !Task.isCancelled {
      do {
        let now = service.now
        if let active = await runtime.keys.activeKey,
          now - active.createdAt >= service.configuration.signingKeyRotation
        {
          let rotated = try await runtime.keys.rotate(
            now: now,
            audit: AuditRecord(
              at: now, actor: "system", action: "signingkey.rotate", target: "signing-keys",
              detail: "scheduled"))
          runtime.logger.notice("rotated signing key to \(rotated.new)")
        }
        let removed = try await runtime.store.deleteExpired(now: now)
        if removed > 0 { runtime.logger.debug("deleted \(removed) expired rows") }
      } catch {
        runtime.logger.error("identity housekeeping failed: \(error)")
      }
      try? await Task.sleep(for: .seconds(60))
    }
  }
}

/// Identity cannot start as configured.
public struct IdentityStartupError: Error, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

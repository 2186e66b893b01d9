import ORDPAnalyticsAPI
public import ORDPAuth
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPPlatformAPI
public import ORDPRPC

/// The services behind the gateway.
public enum Backend: String, Sendable, CaseIterable, Hashable {
  case identity, catalogue, analytics
}

/// What a caller needs at the edge to call a method: nothing, a valid token, or a token with a
/// scope (a platform admin has every scope). The services check again, in full.
public enum EdgeAccess: Sendable, Hashable {
  case anonymous
  case token
  case scope(Scope)
}

/// One public method the gateway passes on.
public struct ProxiedMethod: Sendable, Hashable {
  public var descriptor: MethodDescriptor
  public var backend: Backend
  public var access: EdgeAccess
  /// Only reads: an attempt that failed before anything was sent back may be tried on
  /// another replica.
  public var idempotent: Bool
}

/// Every public method of identity, the catalogue and analytics, with its backend and edge
/// access — the method-to-scope table. Built from the generated method lists: a method
/// without an entry here stops the gateway from starting (`missing`), so a new method cannot
/// slip through unchecked.
public enum GatewayMethods {
  static let access: [String: EdgeAccess] = {
    typealias I = Ordp_Identity_V1_Identity.Method
    typealias C = Ordp_Catalogue_V1_Catalogue.Method
    typealias A = Ordp_Analytics_V1_Analytics.Method
    var table: [String: EdgeAccess] = [:]
    func set(_ access: EdgeAccess, _ methods: [MethodDescriptor]) {
      for method in methods { table[method.path] = access }
    }
    set(
      .anonymous,
      [
        I.login, I.refresh, I.logout, I.exchangeApiKey, I.getPublicKeys, I.listRevocations,
        I.listOrganisations, I.getOrganisation,
      ])
    // A user's own record and password; the service decides whose.
    set(.token, [I.getUser, I.changePassword])
    set(
      .scope(.identityAdmin),
      [
        I.rotateSigningKey, I.createOrganisation, I.setOrganisationActive, I.createUser,
        I.listUsers, I.setMembership, I.removeMembership, I.setUserDisabled, I.deleteUser,
        I.createServiceAccount, I.listServiceAccounts, I.createApiKey, I.listApiKeys,
        I.revokeApiKey, I.queryAudit,
      ])
    // Public data needs no token; a token presented for it must carry the read scope (an
    // ingest-only key reads nothing at the edge, as it reads no more than anonymous behind).
    set(.anonymous, [C.getDataset, C.listRevisions, C.search, C.watchChanges, C.export])
    set(
      .scope(.catalogueWrite), [C.createDataset, C.updateDataset, C.withdrawDataset, C.importCkan])
    set(
      .anonymous, [A.getDatastream, A.listDatastreams, A.aggregate, A.latest, A.readObservations])
    set(.scope(.analyticsIngest), [A.createDatastream, A.updateDatastream, A.ingest])
    set(.scope(.identityAdmin), [A.setTownRetention])
    return table
  }()

  /// The methods through which a caller proves who it is (rate-limited as their own group).
  static let authentication: Set<String> = {
    typealias I = Ordp_Identity_V1_Identity.Method
    return Set([I.login, I.refresh, I.exchangeApiKey, I.logout].map(\.path))
  }()

  /// The methods that only read.
  static let idempotent: Set<String> = {
    typealias I = Ordp_Identity_V1_Identity.Method
    typealias C = Ordp_Catalogue_V1_Catalogue.Method
    typealias A = Ordp_Analytics_V1_Analytics.Method
    let reads = [
      I.getPublicKeys, I.listRevocations, I.listOrganisations, I.getOrganisation, I.getUser,
      I.listUsers, I.listServiceAccounts, I.listApiKeys, I.queryAudit,
      C.getDataset, C.listRevisions, C.search, C.watchChanges, C.export,
      A.getDatastream, A.listDatastreams, A.aggregate, A.latest, A.readObservations,
    ]
    return Set(reads.map(\.path))
  }()

  /// The scope a token presented for an anonymous-capable read must carry.
  static let readScope: [Backend: Scope] = [
    .catalogue: .catalogueRead, .analytics: .analyticsQuery,
  ]

  static let services: [(Backend, [MethodDescriptor])] = [
    (.identity, Ordp_Identity_V1_Identity.Method.all),
    (.catalogue, Ordp_Catalogue_V1_Catalogue.Method.all),
    (.analytics, Ordp_Analytics_V1_Analytics.Method.all),
  ]

  /// Methods of the services that have no entry in the table.
  public static var missing: [String] {
    services.flatMap { $0.1 }.map(\.path).filter { access[$0] == nil }.sorted()
  }

  /// Every proxied method.
  public static var all: [ProxiedMethod] {
    services.flatMap { backend, methods in
      methods.map {
        ProxiedMethod(
          descriptor: $0, backend: backend, access: access[$0.path]!,
          idempotent: idempotent.contains($0.path))
      }
    }
  }

  /// The composite calls the gateway answers itself (`PlatformService`): public reads of the
  /// catalogue and analytics (a service account's token needs both read scopes), and the
  /// platform's status (a token; the service admits platform admins only).
  public static var platform: [ProxiedMethod] {
    Ordp_Platform_V1_Platform.Method.all.map {
      ProxiedMethod(
        descriptor: $0, backend: .catalogue,
        access: $0 == Ordp_Platform_V1_Platform.Method.getPlatformStatus ? .token : .anonymous,
        idempotent: true)
    }
  }

  /// Every method the edge checks: the proxied ones and the composite ones.
  public static var edge: [ProxiedMethod] { all + platform }

  /// The scopes a service account's token presented for the anonymous-capable read `method`
  /// must carry.
  static func readScopes(_ method: ProxiedMethod) -> [Scope] {
    if method.descriptor.path.hasPrefix("/\(Ordp_Platform_V1_Platform.serviceName)/") {
      return [.catalogueRead, .analyticsQuery]
    }
    return readScope[method.backend].map { [$0] } ?? []
  }

  /// Paths callable without a token.
  public static var anonymousPaths: Set<String> {
    Set(edge.filter { $0.access == .anonymous }.map(\.descriptor.path))
  }
}

import Foundation
public import Logging
import ORDPAuth
public import ORDPCatalogueAPI
public import ORDPRPC

/// `ordp.catalogue.v1.Catalogue`: datasets with revisions, access rules, the change feed.
public final class CatalogueService: Ordp_Catalogue_V1_Catalogue_ServiceProtocol {
  let store: any CatalogueStore
  let logger: Logger
  let notifier = ChangeNotifier()
  /// Search: FTS5 text matches and the in-memory index.
  let searching: CatalogueSearch
  let clock: @Sendable () -> Int64
  /// IRIs of the RDF export start with this.
  let baseIRI: String
  /// Display names of towns by organisation id, for the export's publishers.
  let publisherNames: @Sendable () async -> [String: String]

  /// - Parameters:
  ///   - baseIRI: where the platform's datasets live on the web ("https://daten.example.de/");
  ///     the RDF export names datasets, distributions and towns below it.
  ///   - publisherNames: the towns' display names by id (e.g. from the identity service).
  public init(
    store: any CatalogueStore, logger: Logger, baseIRI: String = "https://data.ordp.local/",
    publisherNames: @escaping @Sendable () async -> [String: String] = { [:] }
  ) {
    self.store = store
    self.searching = CatalogueSearch(store: store)
    self.logger = logger
    self.clock = { Int64(Date().timeIntervalSince1970 * 1_000_000) }
    self.baseIRI = baseIRI
    self.publisherNames = publisherNames
  }

  /// Builds the search index from the change feed (a search would do it on first use);
  /// call before serving so the first searches do not pay for it.
  public func warmUp() async throws {
    try await searching.catchUp()
  }

  /// Methods callable without a token (they show public datasets only then).
  public static let anonymousMethods: Set<String> = Set(
    [
      Ordp_Catalogue_V1_Catalogue.Method.getDataset,
      Ordp_Catalogue_V1_Catalogue.Method.listRevisions, Ordp_Catalogue_V1_Catalogue.Method.search,
      Ordp_Catalogue_V1_Catalogue.Method.watchChanges, Ordp_Catalogue_V1_Catalogue.Method.export,
    ].map(\.path))

  func context(_ principal: Principal) -> WriteContext {
    WriteContext(author: principal.subject, at: clock())
  }

  /// A dataset the caller may see, or NOT_FOUND (also when hidden).
  func visibleDataset(
    _ reference: String, _ principal: Principal?
  ) async throws
    -> Ordp_Catalogue_V1_Dataset
  {
    let reference = reference.trimmingCharacters(in: .whitespaces)
    if reference.isEmpty { throw RPCError(.invalidArgument, "id: is required") }
    let parts = reference.split(separator: "/", maxSplits: 1)
    let found =
      parts.count == 2
      ? try await store.dataset(publisher: String(parts[0]), slug: String(parts[1]))
      : try await store.dataset(id: reference)
    guard let found, CatalogueAccess.canRead(found, principal) else {
      throw RPCError(.notFound, "dataset \(reference) not found")
    }
    return found
  }

  public func createDataset(
    request: Ordp_Catalogue_V1_CreateDatasetRequest, context: ServerContext
  ) async throws -> Ordp_Catalogue_V1_Dataset {
    var dataset = try DatasetValidator.validate(request.dataset)
    let principal = try CatalogueAccess.requireWrite(
      dataset.publisher, context.principal, method: "CreateDataset")
    dataset.id = UUID().uuidString.lowercased()
    dataset.issuedMicros = request.dataset.issuedMicros
    let created = try await store.create(
      dataset, action: "create", context: self.context(principal))
    notifier.notify()
    return created
  }

  public func updateDataset(
    request: Ordp_Catalogue_V1_UpdateDatasetRequest, context: ServerContext
  ) async throws -> Ordp_Catalogue_V1_Dataset {
    let current = try await visibleDataset(request.dataset.id, context.principal)
    let principal = try CatalogueAccess.requireWrite(
      current.publisher, context.principal, method: "UpdateDataset")
    if request.baseRevision == 0 {
      throw RPCError(.invalidArgument, "base_revision: is required (the revision you changed)")
    }
    var dataset = try DatasetValidator.validate(request.dataset)
    if dataset.publisher != current.publisher {
      throw RPCError(.invalidArgument, "publisher: a dataset cannot move to another town")
    }
    if current.withdrawn {
      throw RPCError(.failedPrecondition, "dataset \(current.id) is withdrawn")
    }
    dataset.id = current.id
    let updated = try await store.update(
      dataset, baseRevision: request.baseRevision, action: "update",
      context: self.context(principal))
    notifier.notify()
    return updated
  }

  public func withdrawDataset(
    request: Ordp_Catalogue_V1_WithdrawDatasetRequest, context: ServerContext
  ) async throws -> Ordp_Catalogue_V1_Dataset {
    var current = try await visibleDataset(request.id, context.principal)
    let principal = try CatalogueAccess.requireWrite(
      current.publisher, context.principal, method: "WithdrawDataset")
    if request.baseRevision == 0 {
      throw RPCError(.invalidArgument, "base_revision: is required (the revision you withdraw)")
    }
    if current.withdrawn {
      throw RPCError(.failedPrecondition, "dataset \(current.id) is already withdrawn")
    }
    current.withdrawn = true
    let withdrawn = try await store.update(
      current, baseRevision: request.baseRevision, action: "withdraw",
      context: self.context(principal))
    notifier.notify()
    return withdrawn
  }

  public func getDataset(
    request: Ordp_Catalogue_V1_GetDatasetRequest, context: ServerContext
  )
    async throws -> Ordp_Catalogue_V1_Dataset
  {
    try await visibleDataset(request.id, context.principal)
  }

  public func listRevisions(
    request: Ordp_Catalogue_V1_ListRevisionsRequest, context: ServerContext
  ) async throws -> Ordp_Catalogue_V1_ListRevisionsResponse {
    let dataset = try await visibleDataset(request.id, context.principal)
    var response = Ordp_Catalogue_V1_ListRevisionsResponse()
    response.revisions = try await store.revisions(id: dataset.id)
    return response
  }

  public func watchChanges(
    request: Ordp_Catalogue_V1_WatchChangesRequest,
    responses: RPCResponseWriter<Ordp_Catalogue_V1_Change>, context: ServerContext
  ) async throws {
    let principal = context.principal
    var position = request.afterPosition
    while !Task.isCancelled {
      let page = try await store.changes(after: position, limit: 500)
      for change in page {
        position = change.position
        // The state at that revision decides: a dataset made public later shows from then on.
        if CatalogueAccess.canRead(change.dataset, principal) { try await responses.write(change) }
      }
      if page.count < 500 {
        guard request.follow else { return }
        await notifier.wait(timeout: .seconds(1))
      }
    }
  }
}

extension CatalogueStoreError: RPCErrorConvertible {
  public var rpcError: RPCError {
    switch self {
    case .notFound(let what): RPCError(.notFound, "\(what) not found")
    case .alreadyExists(let what): RPCError(.alreadyExists, "\(what) already exists")
    case .conflict(let id, let current, let base):
      RPCError(
        .aborted,
        "dataset \(id) is at revision \(current); the change was based on revision \(base): read it again and reapply"
      )
    }
  }
}

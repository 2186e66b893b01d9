import Synchronization

/// Search as the service runs it: text matches from the store's FTS5 index, everything else
/// from the in-memory `SearchIndex`, both at the same feed position. The index follows the
/// change feed; when writes keep moving the position between the two reads, the search runs
/// as SQL in the store instead (same answer, slower).
public final class CatalogueSearch: Sendable {
  let store: any CatalogueStore
  let index = Mutex(SearchIndex())
  /// Changes read from the feed per step of catching up.
  static let catchUpPage = 2000

  public init(store: any CatalogueStore) {
    self.store = store
  }

  /// Applies every committed change the index has not seen.
  public func catchUp() async throws {
    while true {
      let from = index.withLock { $0.position }
      let changes = try await store.indexChanges(after: from, limit: Self.catchUpPage)
      index.withLock { index in
        // Another caller may have applied some of them meanwhile.
        for change in changes where change.position > index.position {
          index.apply(position: change.position, seq: change.seq, dataset: change.dataset)
        }
      }
      if changes.count < Self.catchUpPage { return }
    }
  }

  public func search(_ query: CatalogueQuery, facets: Bool) async throws -> SearchPage {
    for _ in 0..<4 {
      try await catchUp()
      let target = index.withLock { $0.position }
      var scores: [Int64: Int]?
      if !query.words.isEmpty {
        let matches = try await store.textMatches(query.words)
        // A write committed between catching up and matching: catch up again.
        guard matches.position == target else { continue }
        scores = matches.scores
      }
      // A copy of the index (copy-on-write: cheap unless a change lands meanwhile), so that
      // searches run side by side and never hold the lock while they walk it.
      let snapshot: SearchIndex? = index.withLock { $0.position == target ? $0 : nil }
      guard let snapshot else { continue }
      let evaluated = snapshot.evaluate(query, scores: scores, facets: facets)
      let datasets = try await store.datasets(
        revisions: evaluated.hits.map { ($0.id, $0.revision) })
      let hits = zip(evaluated.hits, datasets).map { hit, dataset in
        SearchPage.Hit(
          dataset: dataset, score: Double(hit.score), sortKey: hit.sortKey, seq: hit.seq)
      }
      return SearchPage(
        hits: hits, next: evaluated.next, total: evaluated.total, facets: evaluated.facets,
        position: target)
    }
    return try await store.search(query, facets: facets)
  }
}

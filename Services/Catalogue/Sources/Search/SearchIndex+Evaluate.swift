/// Answering a `CatalogueQuery` from the index: the same semantics as the SQL of
/// `CatalogueQuery` (the tests compare both on random queries).
extension SearchIndex {
  /// One hit of an evaluation: what the store must fetch, and what a merge needs.
  public struct Hit: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var revision: UInt64
    public var score: Int
    public var sortKey: String
  }

  public struct Result: Sendable {
    public var hits: [Hit]
    public var next: CatalogueQuery.Cursor?
    public var total: Int
    public var facets: [(field: String, values: [(String, Int)])]
  }

  /// Evaluates `query`; `scores` are the text matches (seq → score) when the query has words.
  public func evaluate(_ query: CatalogueQuery, scores: [Int64: Int]?, facets: Bool) -> Result {
    let filter = Filter(query: query, index: self)
    var total = 0
    var townCounts = [Int](repeating: 0, count: towns.count)
    var licenseCounts = [Int](repeating: 0, count: licenses.count)
    var themeCounts = [Int](repeating: 0, count: themes.count)
    var keywordCounts = [Int](repeating: 0, count: keywords.count)
    var formatCounts = [Int](repeating: 0, count: formats.count)
    var top = TopK(limit: query.limit + 1, order: query.effectiveOrder)
    func consider(_ seq: Int64, _ entry: Entry, score: Int) {
      guard filter.accepts(entry) else { return }
      total += 1
      if facets {
        townCounts[Int(entry.publisher)] += 1
        licenseCounts[Int(entry.license)] += 1
        for id in entry.themes { themeCounts[Int(id)] += 1 }
        for id in entry.keywords { keywordCounts[Int(id)] += 1 }
        for id in entry.formats { formatCounts[Int(id)] += 1 }
      }
      let candidate = TopK.Candidate(seq: seq, entry: entry, score: score)
      if let after = query.after, !candidate.isAfter(after, order: query.effectiveOrder) { return }
      top.insert(candidate)
    }
    if let scores {
      for (seq, score) in scores {
        if let entry = entries[seq] { consider(seq, entry, score: score) }
      }
    } else {
      for (seq, entry) in entries { consider(seq, entry, score: 0) }
    }
    let ordered = top.sorted()
    let page = ordered.prefix(query.limit).map { candidate in
      Hit(
        seq: candidate.seq, id: candidate.entry.id, revision: candidate.entry.revision,
        score: candidate.score, sortKey: candidate.sortKey(query.effectiveOrder))
    }
    var next: CatalogueQuery.Cursor?
    if ordered.count > query.limit, let last = page.last {
      next = CatalogueQuery.Cursor(order: query.orderName, key: last.sortKey, seq: last.seq)
    }
    var facetLists: [(field: String, values: [(String, Int)])] = []
    if facets {
      func list(_ counts: [Int], _ interner: Interner, skipEmpty: Bool) -> [(String, Int)] {
        var values: [(String, Int)] = []
        for (id, count) in counts.enumerated() where count > 0 {
          let shown = interner.display[id]
          if skipEmpty && shown.isEmpty { continue }
          values.append((shown, count))
        }
        values.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        return Array(values.prefix(50))
      }
      facetLists = [
        ("publisher", list(townCounts, towns, skipEmpty: true)),
        ("license", list(licenseCounts, licenses, skipEmpty: true)),
        ("theme", list(themeCounts, themes, skipEmpty: false)),
        ("keyword", list(keywordCounts, keywords, skipEmpty: false)),
        ("format", list(formatCounts, formats, skipEmpty: false)),
      ]
    }
    return Result(hits: page, next: next, total: total, facets: facetLists)
  }

  /// A query's conditions with its values resolved to interned ids.
  struct Filter {
    let visibleLevels: Set<Int>?
    let memberOf: Set<Int32>
    let publishers: Set<Int32>?
    let licenses: Set<Int32>?
    let accessLevels: Set<Int>?
    let themes: Set<Int32>?
    let keywords: Set<Int32>?
    let formats: Set<Int32>?
    let modifiedFrom: Int64?
    let modifiedTo: Int64?
    let bbox: (west: Double, south: Double, east: Double, north: Double)?

    init(query: CatalogueQuery, index: SearchIndex) {
      func ids(_ values: [String], _ interner: Interner) -> Set<Int32>? {
        values.isEmpty ? nil : Set(values.compactMap { interner.lookup($0) })
      }
      visibleLevels = query.visibleLevels.map(Set.init)
      memberOf = Set(query.memberOf.compactMap { index.towns.lookup($0) })
      publishers = ids(query.publishers, index.towns)
      licenses = ids(query.licenses, index.licenses)
      accessLevels = query.accessLevels.isEmpty ? nil : Set(query.accessLevels)
      themes = ids(query.themes, index.themes)
      keywords = ids(query.keywords, index.keywords)
      formats = ids(query.formats, index.formats)
      modifiedFrom = query.modifiedFrom
      modifiedTo = query.modifiedTo
      bbox = query.bbox.map { ($0.west, $0.south, $0.east, $0.north) }
    }

    func accepts(_ entry: Entry) -> Bool {
      if entry.withdrawn { return false }
      if let visibleLevels, !visibleLevels.contains(entry.access) {
        guard entry.access == 3, !memberOf.isEmpty,
          memberOf.contains(entry.publisher) || entry.grants.contains(where: memberOf.contains)
        else { return false }
      }
      if let publishers, !publishers.contains(entry.publisher) { return false }
      if let licenses, !licenses.contains(entry.license) { return false }
      if let accessLevels, !accessLevels.contains(entry.access) { return false }
      if let themes, !entry.themes.contains(where: themes.contains) { return false }
      if let keywords, !entry.keywords.contains(where: keywords.contains) { return false }
      if let formats, !entry.formats.contains(where: formats.contains) { return false }
      if let modifiedFrom, entry.modified < modifiedFrom { return false }
      if let modifiedTo, entry.modified >= modifiedTo { return false }
      if let bbox {
        guard let box = entry.bbox, box.west <= bbox.east, box.east >= bbox.west,
          box.south <= bbox.north, box.north >= bbox.south
        else { return false }
      }
      return true
    }
  }

  /// The best `limit` candidates under an order, kept sorted as they arrive.
  struct TopK {
    struct Candidate {
      var seq: Int64
      var entry: Entry
      var score: Int

      /// Whether this candidate comes strictly before `other` in `order`.
      func precedes(_ other: Candidate, order: CatalogueQuery.Order) -> Bool {
        switch order {
        case .relevance:
          return score != other.score ? score > other.score : seq < other.seq
        case .modified:
          return entry.modified != other.entry.modified
            ? entry.modified > other.entry.modified : seq > other.seq
        case .title:
          return !entry.titleSort.utf8.elementsEqual(other.entry.titleSort.utf8)
            ? entry.titleSort.utf8.lexicographicallyPrecedes(other.entry.titleSort.utf8)
            : seq < other.seq
        }
      }

      /// Whether this candidate comes after the cursor (on the next pages).
      func isAfter(_ cursor: CatalogueQuery.Cursor, order: CatalogueQuery.Order) -> Bool {
        switch order {
        case .relevance:
          let key = Int(cursor.key) ?? 0
          return score < key || (score == key && seq > cursor.seq)
        case .modified:
          let key = Int64(cursor.key) ?? 0
          return entry.modified < key || (entry.modified == key && seq < cursor.seq)
        case .title:
          return cursor.key.utf8.lexicographicallyPrecedes(entry.titleSort.utf8)
            || (entry.titleSort.utf8.elementsEqual(cursor.key.utf8) && seq > cursor.seq)
        }
      }

      func sortKey(_ order: CatalogueQuery.Order) -> String {
        switch order {
        case .relevance: String(score)
        case .modified: String(entry.modified)
        case .title: entry.titleSort
        }
      }
    }

    let limit: Int
    let order: CatalogueQuery.Order
    var items: [Candidate] = []

    init(limit: Int, order: CatalogueQuery.Order) {
      self.limit = limit
      self.order = order
      items.reserveCapacity(limit + 1)
    }

    mutating func insert(_ candidate: Candidate) {
      if items.count == limit, let last = items.last, !candidate.precedes(last, order: order) {
        return
      }
      // Binary search for the position (items stay ordered).
      var low = 0
      var high = items.count
      while low < high {
        let middle = (low + high) / 2
        if items[middle].precedes(candidate, order: order) {
          low = middle + 1
        } else {
          high = middle
        }
      }
      items.insert(candidate, at: low)
      if items.count > limit { items.removeLast() }
    }

    func sorted() -> [Candidate] { items }
  }
}

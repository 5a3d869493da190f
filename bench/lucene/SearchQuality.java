/*
 * Lucene's side of the search-quality comparison (bench/scenarios/search-quality.ts).
 *
 *   java -cp <lucene-core>:<lucene-analyzers-common>:<classes> SearchQuality DOCS.tsv QUERIES.tsv LIMIT
 *
 * DOCS.tsv, one lesson a line: plan, lesson id, lesson name, topic name, unit name, subject name.
 * QUERIES.tsv, one query a line: query id, plan, text. Tabs and line breaks never occur inside a
 * field (the scenario checks). Output on stdout, one line per query, in input order:
 * query id, a tab, then the ids of the first LIMIT lessons, best first, separated by spaces.
 *
 * Each plan gets its own in-memory index, analyzed with ArabicAnalyzer (plan "ar": normalization
 * and light stemming, Arabic stop words) or EnglishAnalyzer (otherwise: possessives, stop words,
 * Porter stemming). The four names are separate text fields; the query side boosts them the way
 * memora-cdn's search does: lesson name 3, topic name 1.5, unit name 1, subject name 0.5.
 *
 * A query is analyzed with the plan's analyzer; each resulting term becomes one clause: the term
 * in any of the four fields (SHOULD clauses, boosted as above). The clauses are first all required
 * (MUST: every word somewhere in the lesson's names, the closest to memora-cdn's AND); when that
 * finds nothing, they are tried again as optional (SHOULD: any word), as a search box falls back.
 * No fuzzy or prefix expansion: Lucene's analyzer alone is what is measured.
 */
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.ar.ArabicAnalyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.RAMDirectory;
import org.apache.lucene.util.Version;

public final class SearchQuality {
  private static final Version VERSION = Version.LUCENE_4_10_4;
  private static final String[] FIELDS = {"lesson_name", "topic_name", "unit_name", "subject_name"};
  private static final float[] BOOSTS = {3f, 1.5f, 1f, 0.5f};

  private static final class Plan {
    final Analyzer analyzer;
    final RAMDirectory dir = new RAMDirectory();
    final IndexWriter writer;
    IndexSearcher searcher;

    Plan(String name) throws IOException {
      analyzer = name.equals("ar") ? new ArabicAnalyzer(VERSION) : new EnglishAnalyzer(VERSION);
      writer = new IndexWriter(dir, new IndexWriterConfig(VERSION, analyzer));
    }
  }

  private static List<String[]> readTsv(String file, int columns) throws IOException {
    List<String[]> rows = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(Paths.get(file), StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = in.readLine()) != null) {
        n++;
        if (line.isEmpty()) continue;
        String[] cells = line.split("\t", -1);
        if (cells.length != columns) throw new IllegalArgumentException(file + " line " + n + ": " + cells.length + " fields, expected " + columns);
        rows.add(cells);
      }
    }
    return rows;
  }

  private static List<String> terms(Analyzer analyzer, String text) throws IOException {
    List<String> out = new ArrayList<>();
    try (TokenStream ts = analyzer.tokenStream(FIELDS[0], text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        String t = term.toString();
        if (!out.contains(t)) out.add(t);
      }
      ts.end();
    }
    return out;
  }

  private static BooleanQuery query(List<String> terms, BooleanClause.Occur occur) {
    BooleanQuery q = new BooleanQuery();
    for (String t : terms) {
      BooleanQuery anyField = new BooleanQuery();
      for (int i = 0; i < FIELDS.length; i++) {
        TermQuery tq = new TermQuery(new Term(FIELDS[i], t));
        tq.setBoost(BOOSTS[i]);
        anyField.add(tq, BooleanClause.Occur.SHOULD);
      }
      q.add(anyField, occur);
    }
    return q;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 3) throw new IllegalArgumentException("usage: SearchQuality DOCS.tsv QUERIES.tsv LIMIT");
    int limit = Integer.parseInt(args[2]);
    Map<String, Plan> plans = new LinkedHashMap<>();
    for (String[] d : readTsv(args[0], 6)) {
      Plan plan = plans.get(d[0]);
      if (plan == null) plans.put(d[0], plan = new Plan(d[0]));
      Document doc = new Document();
      doc.add(new StringField("id", d[1], Field.Store.YES));
      for (int i = 0; i < FIELDS.length; i++) doc.add(new TextField(FIELDS[i], d[2 + i], Field.Store.NO));
      plan.writer.addDocument(doc);
    }
    for (Plan plan : plans.values()) {
      plan.writer.close();
      plan.searcher = new IndexSearcher(DirectoryReader.open(plan.dir));
    }
    PrintStream out = new PrintStream(System.out, false, "UTF-8");
    for (String[] q : readTsv(args[1], 3)) {
      Plan plan = plans.get(q[1]);
      if (plan == null) throw new IllegalArgumentException("query " + q[0] + ": no document of plan " + q[1]);
      List<String> terms = terms(plan.analyzer, q[2]);
      StringBuilder line = new StringBuilder(q[0]).append('\t');
      if (!terms.isEmpty()) {
        ScoreDoc[] hits = plan.searcher.search(query(terms, BooleanClause.Occur.MUST), limit).scoreDocs;
        if (hits.length == 0) hits = plan.searcher.search(query(terms, BooleanClause.Occur.SHOULD), limit).scoreDocs;
        for (int i = 0; i < hits.length; i++) {
          if (i > 0) line.append(' ');
          line.append(plan.searcher.doc(hits[i].doc).get("id"));
        }
      }
      out.println(line);
    }
    out.flush();
  }
}

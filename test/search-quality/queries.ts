/**
 * The search-quality queries: what students type, each with the lessons it must find on the
 * catalog of catalog.ts.
 *
 * How the expected lessons were chosen, the same way for every query: a lesson is expected when
 * its own title or its topic's title holds every word of the query, up to what a student leaves
 * out or gets wrong: the article and proclitics (ال، و، ب، ل، ف، وال، بال، لل), attached
 * pronouns and the regular suffixes (ـات، ـة، ـها، ـهم; English -s), diacritics, tatweel, the
 * letter forms (أ/إ/آ/ا, ة/ه, ى/ي) and one wrong, missing or extra letter. It must be the same word:
 * look-alikes do not count (`البيان`, rhetoric, for `بيانات`, data; `الأول` for `المول`), nor do
 * broken plurals (`الكسر` does not expect `الكسور`). When no lesson or topic title holds the words,
 * the lessons of the unit or subject whose name does are expected (`unit-name`, `subject-name`).
 * A word typed so far (`prefix`: the last or only word of a query, as a student sees hits while
 * typing) stands for the words it begins, up to the article and proclitics on either side:
 * `التسا` expects `والتسارع`, `للمضا` expects `المضارع` and `والمضارع`.
 * Other lessons may match too (through a unit name, a prefix, a fuzzy match) but must rank
 * below the expected ones.
 *
 * `expect` names lessons, topics, units or subjects of the catalog; a topic, unit or subject
 * stands for all its lessons.
 */
import type { QualityPlan } from './catalog.ts';

export const CATEGORIES = [
  'exact',
  'article-less',
  'proclitic',
  'diacritics',
  'hamza',
  'ta-marbuta',
  'alef-maqsura',
  'tatweel',
  'typo',
  'multi-word',
  'english-plural',
  'subject-name',
  'unit-name',
  'keyboard-layout',
  'prefix',
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface QualityQuery {
  plan: QualityPlan;
  query: string;
  category: Category;
  /** Lessons, topics, units or subjects (all their lessons) that must be found, and ranked first. */
  expect: readonly string[];
}

const ar = (category: Category, query: string, ...expect: string[]): QualityQuery => ({ plan: 'ar', query, category, expect });
const en = (category: Category, query: string, ...expect: string[]): QualityQuery => ({ plan: 'en', query, category, expect });

export const QUERIES: readonly QualityQuery[] = [
  // --- Arabic: words as the titles write them -------------------------------------------------
  ar('exact', 'الكسور', 'ar-frac'),
  ar('exact', 'المعادلات', 'ar-eq', 'ar-react-1'),
  ar('exact', 'الخلية', 'ar-cell'),
  ar('exact', 'الذرة', 'ar-atom'),
  ar('exact', 'المول', 'ar-mole'),
  ar('exact', 'الجدول الدوري', 'ar-table'),
  ar('exact', 'التشبيه', 'ar-bayan-1'),
  ar('exact', 'الاستعارة', 'ar-bayan-2'),
  ar('exact', 'نظرية فيثاغورس', 'ar-angle-3'),
  ar('exact', 'البناء الضوئي', 'ar-plant-1'),
  ar('exact', 'الجهاز الهضمي', 'ar-body-1'),
  ar('exact', 'المفعول المطلق', 'ar-obj-2'),
  ar('exact', 'الكتلة المولية', 'ar-mole-2'),
  ar('exact', 'الأمن السيبراني', 'ar-sec'),
  ar('exact', 'الدولة العباسية', 'ar-abbasid'),
  ar('exact', 'الطاقة', 'ar-energy', 'ar-atom-3'),
  ar('exact', 'الحرب العالمية الأولى', 'ar-modern-2'),
  ar('exact', 'الفاعل', 'ar-subj'),
  ar('exact', 'نائب الفاعل', 'ar-subj'),
  ar('exact', 'القيمة المطلقة', 'ar-int-3'),
  ar('exact', 'المضاعف المشترك', 'ar-prime-4'),
  ar('exact', 'القاسم المشترك', 'ar-prime-3'),

  // --- Arabic: without the article -------------------------------------------------------------
  ar('article-less', 'كسور', 'ar-frac'),
  ar('article-less', 'خلية', 'ar-cell'),
  ar('article-less', 'اعداد', 'ar-int', 'ar-prime', 'ar-pyvar-2'),
  ar('article-less', 'متغير', 'ar-var', 'ar-pyvar', 'ar-eq-3'),
  ar('article-less', 'ذرة', 'ar-atom'),
  ar('article-less', 'مول', 'ar-mole'),
  ar('article-less', 'جدول', 'ar-table', 'ar-func-3'),
  ar('article-less', 'معادلات', 'ar-eq', 'ar-react-1'),
  ar('article-less', 'خوارزميات', 'ar-algo', 'ar-search'),
  ar('article-less', 'طاقة', 'ar-energy', 'ar-atom-3'),
  ar('article-less', 'تشبيه', 'ar-bayan-1'),
  ar('article-less', 'فاعل', 'ar-subj'),
  ar('article-less', 'جهاز هضمي', 'ar-body-1'),
  ar('article-less', 'شعر', 'ar-poetry'),
  ar('article-less', 'حضارة', 'ar-civ'),
  ar('article-less', 'دوال', 'ar-func'),
  ar('article-less', 'مساحة', 'ar-area'),
  ar('article-less', 'زوايا', 'ar-angle'),
  ar('article-less', 'تفاعلات كيميائية', 'ar-react', 'ar-mole-3'),
  ar('article-less', 'شبكات', 'ar-net'),
  ar('article-less', 'بيانات', 'ar-pyvar', 'ar-stat-1', 'ar-sec-2'),
  ar('article-less', 'فعل', 'ar-verb', 'ar-subj-3'),
  ar('article-less', 'استقلال', 'ar-modern-3'),
  ar('article-less', 'خلافة', 'ar-rashidun'),
  ar('article-less', 'عدد', 'ar-int-3', 'ar-atom-2', 'ar-mole-1'),

  // --- Arabic: proclitics (و، ب، ل، ف، وال، بال، لل) on the title's word or the query's ----------
  ar('proclitic', 'خبر', 'ar-mubtada', 'ar-kana-2'),
  ar('proclitic', 'الخبر', 'ar-mubtada', 'ar-kana-2'),
  ar('proclitic', 'الضرب بالكسور', 'ar-frac-3'),
  ar('proclitic', 'محيط الدائرة', 'ar-area-3'),
  ar('proclitic', 'الاملاح', 'ar-plant-2'),
  ar('proclitic', 'التسارع', 'ar-motion-1'),
  ar('proclitic', 'اللافلزات', 'ar-table-3'),
  ar('proclitic', 'النسبة المئوية', 'ar-frac-4'),
  ar('proclitic', 'الثابت', 'ar-var-1'),
  ar('proclitic', 'المقابلة', 'ar-badi-1'),
  ar('proclitic', 'السجع', 'ar-badi-2'),
  ar('proclitic', 'المنوال', 'ar-stat-2'),
  ar('proclitic', 'الدم', 'ar-body-3'),
  ar('proclitic', 'الأبجدية', 'ar-civ-3'),
  ar('proclitic', 'المخططات الانسيابية', 'ar-algo-2'),
  ar('proclitic', 'خطوتين', 'ar-eq-2'),
  ar('proclitic', 'متغير واحد', 'ar-eq-3'),
  ar('proclitic', 'الحركة', 'ar-motion', 'ar-modern-3'),
  ar('proclitic', 'المحاليل', 'ar-mole-4'),
  ar('proclitic', 'العدد', 'ar-int-3', 'ar-atom-2', 'ar-mole-1'),
  ar('proclitic', 'الجنس', 'ar-inna-3'),
  ar('proclitic', 'البروتوكولات', 'ar-net-2'),
  ar('proclitic', 'والكسور', 'ar-frac'),
  ar('proclitic', 'بالخلية', 'ar-cell'),
  ar('proclitic', 'للطاقة', 'ar-energy', 'ar-atom-3'),
  ar('proclitic', 'فالمعادلات', 'ar-eq', 'ar-react-1'),

  // --- Arabic: diacritics in the query, or none where the title has them -----------------------
  ar('diacritics', 'الكَسْر', 'ar-frac-1', 'ar-inna-2'),
  ar('diacritics', 'الخَلِيَّة', 'ar-cell'),
  ar('diacritics', 'المُبْتَدَأ', 'ar-mubtada'),
  ar('diacritics', 'كانَ وأخواتُها', 'ar-kana'),
  ar('diacritics', 'المتغيِّر', 'ar-var', 'ar-pyvar', 'ar-eq-3'),
  ar('diacritics', 'الذَّرَّة', 'ar-atom'),
  ar('diacritics', 'خَبَر', 'ar-mubtada', 'ar-kana-2'),
  ar('diacritics', 'الفِعْل المُضارِع', 'ar-verb-1', 'ar-verb-3'),
  ar('diacritics', 'مَساحة الدّائرة', 'ar-area-3'),
  ar('diacritics', 'الطّاقة المتجدِّدة', 'ar-energy-3'),
  ar('diacritics', 'المبتدأ والخبر', 'ar-mubtada'),

  // --- Arabic: hamza forms (أ/إ/آ/ا, ء) --------------------------------------------------------
  ar('hamza', 'ان واخواتها', 'ar-inna'),
  ar('hamza', 'الاعداد الاولية', 'ar-prime'),
  ar('hamza', 'انواع الزوايا', 'ar-angle-1'),
  ar('hamza', 'اعراب الفعل', 'ar-verb-3'),
  ar('hamza', 'جسم الانسان', 'ar-body'),
  ar('hamza', 'الالكترونات', 'ar-atom-3'),
  ar('hamza', 'الامن', 'ar-sec'),
  ar('hamza', 'المبتدا', 'ar-mubtada'),
  ar('hamza', 'المبتدء', 'ar-mubtada'),
  ar('hamza', 'افوجادرو', 'ar-mole-1'),
  ar('hamza', 'كلمات المرور الامنة', 'ar-sec-1'),
  ar('hamza', 'اسهامات العلماء', 'ar-abbasid-3'),
  ar('hamza', 'الاضلاع', 'ar-area-4'),
  ar('hamza', 'إنقسام الخلايا', 'ar-cell-4'),
  ar('hamza', 'الفتوحات الاسلامية', 'ar-rashidun-2'),
  ar('hamza', 'آنواع الشبكات', 'ar-net-1'),
  ar('hamza', 'قانون نيوتن الاول', 'ar-motion-2'),

  // --- Arabic: ة typed as ه --------------------------------------------------------------------
  ar('ta-marbuta', 'خليه', 'ar-cell'),
  ar('ta-marbuta', 'الذره', 'ar-atom'),
  ar('ta-marbuta', 'مساحه دائره', 'ar-area-3'),
  ar('ta-marbuta', 'الداله', 'ar-func-1', 'ar-func-2', 'ar-func-3'),
  ar('ta-marbuta', 'الحضاره المصريه', 'ar-civ-1'),
  ar('ta-marbuta', 'الكنايه', 'ar-bayan-3'),
  ar('ta-marbuta', 'الخلافه الراشده', 'ar-rashidun'),
  ar('ta-marbuta', 'الطاقه المتجدده', 'ar-energy-3'),
  ar('ta-marbuta', 'تحليل المساله', 'ar-problem-2'),
  ar('ta-marbuta', 'الشرطيه', 'ar-cond', 'ar-loop-2'),
  ar('ta-marbuta', 'التشبية', 'ar-bayan-1'),
  ar('ta-marbuta', 'الكتله الموليه', 'ar-mole-2'),
  ar('ta-marbuta', 'مكونات الخليه', 'ar-cell-2', 'ar-cell-3'),

  // --- Arabic: ى typed as ي, and the other way -------------------------------------------------
  ar('alef-maqsura', 'معادلات الدرجه الاولي', 'ar-eq-3'),
  ar('alef-maqsura', 'المستوي الاحداثي', 'ar-func-4'),
  ar('alef-maqsura', 'القوي المتوازنة', 'ar-motion-3'),
  ar('alef-maqsura', 'موسيقي الشعر', 'ar-poetry-3'),
  ar('alef-maqsura', 'الحرب العالميه الاولي', 'ar-modern-2'),
  ar('alef-maqsura', 'علي خط الاعداد', 'ar-int-1'),
  ar('alef-maqsura', 'الجهاز الهضمى', 'ar-body-1'),

  // --- Arabic: tatweel -------------------------------------------------------------------------
  ar('tatweel', 'الريـاضيات', 'ar-math'),
  ar('tatweel', 'الخـلية', 'ar-cell'),
  ar('tatweel', 'كـسور', 'ar-frac'),
  ar('tatweel', 'المعـادلات', 'ar-eq', 'ar-react-1'),
  ar('tatweel', 'الطـاقـة', 'ar-energy', 'ar-atom-3'),
  ar('tatweel', 'الشـعر', 'ar-poetry'),

  // --- One letter wrong, missing or extra --------------------------------------------------------
  ar('typo', 'الخوارزميت', 'ar-algo', 'ar-search'),
  ar('typo', 'المعدلات', 'ar-eq', 'ar-react-1'),
  ar('typo', 'فيثاغورث', 'ar-angle-3'),
  ar('typo', 'الاستعارت', 'ar-bayan-2'),
  ar('typo', 'البنا الضوئي', 'ar-plant-1'),
  ar('typo', 'نيوتين', 'ar-motion-2'),
  ar('typo', 'الفنيقيون', 'ar-civ-3'),
  ar('typo', 'التشفيير', 'ar-sec-2'),
  ar('typo', 'الاحتمل', 'ar-stat'),
  ar('typo', 'المتباينت', 'ar-eq-4'),
  ar('typo', 'الكسوور', 'ar-frac'),
  ar('typo', 'الخليا', 'ar-cell'),
  en('typo', 'fracton', 'en-frac'),
  en('typo', 'photosynthsis', 'en-photo-1'),
  en('typo', 'pythagorian', 'en-angle-2'),
  en('typo', 'acceleraton', 'en-force-1'),
  en('typo', 'mesopotamya', 'en-civ-2'),
  en('typo', 'algoritm', 'en-algo'),
  en('typo', 'equasion', 'en-eq'),

  // --- Two and three words ---------------------------------------------------------------------
  ar('multi-word', 'جمع الكسور', 'ar-frac-2'),
  ar('multi-word', 'ضرب الكسور', 'ar-frac-3'),
  ar('multi-word', 'حل المعادلات', 'ar-eq-1', 'ar-eq-2'),
  ar('multi-word', 'مكونات الخلية', 'ar-cell-2', 'ar-cell-3'),
  ar('multi-word', 'تركيب الذرة', 'ar-atom-1'),
  ar('multi-word', 'انواع التفاعلات', 'ar-react-2'),
  ar('multi-word', 'قانون حفظ الطاقة', 'ar-energy-2'),
  ar('multi-word', 'المتوسط الحسابي', 'ar-stat-2'),
  ar('multi-word', 'الفعل الماضي', 'ar-verb-1'),
  ar('multi-word', 'الشعر الجاهلي', 'ar-poetry-1'),
  ar('multi-word', 'الدالة الخطية', 'ar-func-2'),
  ar('multi-word', 'حلقة التكرار', 'ar-loop'),
  ar('multi-word', 'بيت الحكمة', 'ar-abbasid-2'),
  ar('multi-word', 'الدولة العثمانية', 'ar-modern-1'),
  ar('multi-word', 'حركات الاستقلال', 'ar-modern-3'),
  ar('multi-word', 'العلماء المسلمون', 'ar-abbasid-3'),
  ar('multi-word', 'خطوات حل المشكلة', 'ar-problem-1'),
  ar('multi-word', 'الجناس والسجع', 'ar-badi-2'),
  ar('multi-word', 'امتصاص الماء', 'ar-plant-2'),
  ar('multi-word', 'سرعة التفاعل', 'ar-react-3'),
  ar('multi-word', 'الجهاز الدوري', 'ar-body-3'),
  ar('multi-word', 'التنفس في النبات', 'ar-plant-3'),
  ar('multi-word', 'العصر العباسي', 'ar-poetry-4'),
  en('multi-word', 'adding fractions', 'en-frac-2'),
  en('multi-word', 'linear equations', 'en-eq'),
  en('multi-word', 'area of a circle', 'en-area-1'),
  en('multi-word', 'plant cells', 'en-cell-2'),
  en('multi-word', 'renewable energy', 'en-energy-2'),
  en('multi-word', 'periodic table', 'en-periodic'),
  en('multi-word', 'first world war', 'en-war-1'),
  en('multi-word', 'sorting algorithms', 'en-algo-4'),
  en('multi-word', 'while loops', 'en-loop-3'),
  en('multi-word', 'cell division', 'en-cell-3'),
  en('multi-word', 'arab world', 'en-indep-2'),
  en('multi-word', 'ancient egypt', 'en-civ-1'),

  // --- English: titles as written --------------------------------------------------------------
  en('exact', 'Photosynthesis', 'en-photo-1'),
  en('exact', 'Prime factorization', 'en-prime-2'),
  en('exact', 'The Pythagorean theorem', 'en-angle-2'),
  en('exact', 'Molar mass', 'en-mole-2'),
  en('exact', 'Friction', 'en-force-3'),
  en('exact', 'Mesopotamia', 'en-civ-2'),
  en('exact', "Newton's laws of motion", 'en-force-2'),
  en('exact', 'slope', 'en-func-3'),

  // --- English: singular for plural titles, and plural for singular ones -----------------------
  en('english-plural', 'fraction', 'en-frac'),
  en('english-plural', 'equation', 'en-eq'),
  en('english-plural', 'cell', 'en-cell'),
  en('english-plural', 'atoms', 'en-atom'),
  en('english-plural', 'molecule', 'en-atom'),
  en('english-plural', 'algorithm', 'en-algo'),
  en('english-plural', 'flowchart', 'en-algo'),
  en('english-plural', 'loop', 'en-loop'),
  en('english-plural', 'angle', 'en-angle'),
  en('english-plural', 'triangle', 'en-area-2'),
  en('english-plural', 'civilization', 'en-civ'),
  en('english-plural', 'polygon', 'en-area-3'),
  en('english-plural', 'variable', 'en-py'),
  en('english-plural', 'metal', 'en-periodic-2'),
  en('english-plural', 'percentage', 'en-frac-4'),
  en('english-plural', 'decimal', 'en-frac-4'),
  en('english-plural', 'law of motion', 'en-force-2'),
  en('english-plural', 'movement', 'en-indep'),
  en('english-plural', 'isotope', 'en-atom-2'),
  en('english-plural', 'compound', 'en-atom-3'),
  en('english-plural', 'function', 'en-func'),
  en('english-plural', 'statement', 'en-loop-1'),
  en('english-plural', 'string', 'en-py-2'),
  en('english-plural', 'list', 'en-loop-4'),
  en('english-plural', 'wars', 'en-war'),
  en('english-plural', 'numbers', 'en-prime', 'en-py-2', 'en-mole-1'),

  // --- Subject and unit names ------------------------------------------------------------------
  ar('subject-name', 'الرياضيات', 'ar-math'),
  ar('subject-name', 'رياضيات', 'ar-math'),
  ar('subject-name', 'العلوم', 'ar-sci'),
  ar('subject-name', 'اللغة العربية', 'ar-arab'),
  ar('subject-name', 'الحاسوب', 'ar-comp'),
  ar('subject-name', 'التاريخ', 'ar-hist', 'ar-table-1'),
  ar('subject-name', 'تاريخ', 'ar-hist', 'ar-table-1'),
  en('subject-name', 'Mathematics', 'en-math'),
  en('subject-name', 'math', 'en-math'),
  en('subject-name', 'Science', 'en-sci'),
  en('subject-name', 'History', 'en-hist', 'en-periodic-1'),
  en('subject-name', 'Computing', 'en-comp'),
  ar('unit-name', 'بايثون', 'ar-comp-u2'),
  ar('unit-name', 'الجملة الاسمية', 'ar-arab-u1'),
  ar('unit-name', 'البلاغة', 'ar-arab-u3'),
  ar('unit-name', 'الحضارات القديمة', 'ar-hist-u1'),
  ar('unit-name', 'الهندسة', 'ar-math-u3'),
  en('unit-name', 'Algebra', 'en-math-u2'),
  en('unit-name', 'Geometry', 'en-math-u3'),
  en('unit-name', 'Matter', 'en-sci-u2'),

  // --- The keys of the query, pressed on the other keyboard layout (Arabic 101 over QWERTY) ----
  ar('keyboard-layout', 'hg;s,v', 'ar-frac'), // الكسور
  ar('keyboard-layout', 'hgogdm', 'ar-cell'), // الخلية
  ar('keyboard-layout', "hg'hrm", 'ar-energy', 'ar-atom-3'), // الطاقة
  ar('keyboard-layout', 'hg[],g hg],vd', 'ar-table'), // الجدول الدوري
  ar('keyboard-layout', 'k/vdm tdehy,vs', 'ar-angle-3'), // نظرية فيثاغورس
  ar('keyboard-layout', 'hghlk hgsdfvhkd', 'ar-sec'), // الامن السيبراني
  ar('keyboard-layout', '[lu hg;s,v', 'ar-frac-2'), // جمع الكسور
  ar('keyboard-layout', "hglj,s' hgpshfd", 'ar-stat-2'), // المتوسط الحسابي
  en('keyboard-layout', 'بقشؤفهخىس', 'en-frac'), // fractions
  en('keyboard-layout', 'حاخفخسغىفاثسهس', 'en-photo-1'), // photosynthesis
  en('keyboard-layout', 'حثقهخيهؤ فشلامث', 'en-periodic'), // periodic table
  en('keyboard-layout', 'مهىثشق ثضعشفهخىس', 'en-eq'), // linear equations
  en('keyboard-layout', 'شىؤهثىف ثلغحف', 'en-civ-1'), // ancient egypt
  en('keyboard-layout', 'سخقفهىل شملخقهفاةس', 'en-algo-4'), // sorting algorithms
  en('keyboard-layout', 'صثهلاف', 'en-force-4'), // weight: gh types لا, as B does
  en('keyboard-layout', 'مهلاف صشرثس', 'en-energy-3'), // light waves

  // --- A word typed so far, alone or after whole words (hits while typing) --------------------
  ar('prefix', 'التسا', 'ar-motion-1'), // والتسارع
  ar('prefix', 'الاحتك', 'ar-motion-4'),
  ar('prefix', 'انقس', 'ar-cell-4'),
  ar('prefix', 'المتبا', 'ar-eq-4'),
  ar('prefix', 'الإلكت', 'ar-atom-3'),
  ar('prefix', 'بخطو', 'ar-eq-1', 'ar-eq-2', 'ar-problem-1'), // بخطوة, بخطوتين, خطوات
  ar('prefix', 'الثاب', 'ar-var-1'), // والثابت
  ar('prefix', 'الوسي', 'ar-stat-2'), // والوسيط
  ar('prefix', 'التنف', 'ar-plant-3', 'ar-body-2'), // والتنفس, التنفسي
  ar('prefix', 'تمثي', 'ar-frac-1', 'ar-func', 'ar-algo-2'), // وتمثيله, التمثيل, تمثيل
  ar('prefix', 'العشر', 'ar-frac-4'),
  ar('prefix', 'الهض', 'ar-body-1'),
  ar('prefix', 'الاستق', 'ar-modern-3'),
  ar('prefix', 'للمضا', 'ar-prime-4', 'ar-verb-1', 'ar-verb-3'), // المضاعف, والمضارع, المضارع
  ar('prefix', 'فيثا', 'ar-angle-3'),
  ar('prefix', 'مساحة الدا', 'ar-area-3'),
  ar('prefix', 'الجهاز الهض', 'ar-body-1'),
  ar('prefix', 'البناء الضو', 'ar-plant-1'),
  ar('prefix', 'قانون نيو', 'ar-motion-2'),
  ar('prefix', 'الجدول الدو', 'ar-table'),
  en('prefix', 'photosy', 'en-photo-1'),
  en('prefix', 'pythag', 'en-angle-2'),
  en('prefix', 'accel', 'en-force-1'),
  en('prefix', 'mesopo', 'en-civ-2'),
  en('prefix', 'decolon', 'en-indep-1'),
  en('prefix', 'isoto', 'en-atom-2'),
  en('prefix', 'renewable ene', 'en-energy-2'),
  en('prefix', 'linear equ', 'en-eq'),
];

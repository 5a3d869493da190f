/**
 * Vocabulary for the synthetic catalog: subjects with their unit themes, topic concepts and a
 * few hand-written lesson titles, in English and Arabic. Some Arabic entries carry diacritics
 * (tashkeel) or common spelling variants (bare alef, ه for ة, ى for ي, tatweel) on purpose, so
 * search normalization has real work to do.
 */

export type Lang = 'en' | 'ar';

export interface SubjectWords {
  title: string;
  units: readonly string[];
  concepts: readonly string[];
  lessons: readonly string[];
}

export interface SubjectVocab {
  /** Short code for item codes: ITEM-MATH-G7. */
  code: string;
  en: SubjectWords;
  ar: SubjectWords;
  /** Interactive widgets that fit the subject. */
  widgets: readonly string[];
}

export const SUBJECTS: readonly SubjectVocab[] = [
  {
    code: 'MATH',
    widgets: ['number-line', 'fraction-bars', 'graph-plotter', 'geometry-board'],
    en: {
      title: 'Mathematics',
      units: ['Numbers and operations', 'Fractions and decimals', 'Algebraic expressions', 'Equations and inequalities', 'Geometry and measurement', 'Statistics and probability', 'Ratios and proportions', 'Functions and graphs'],
      concepts: ['prime numbers', 'fractions with unlike denominators', 'decimal multiplication', 'linear equations', 'the Pythagorean theorem', 'area of a circle', 'ratios and rates', 'percentages', 'integers on the number line', 'probability of simple events', 'mean, median and mode', 'angles in triangles', 'exponents and powers', 'the coordinate plane'],
      lessons: ['Adding fractions with unlike denominators', 'Solving two-step linear equations', 'Finding the area and circumference of a circle', 'Using the Pythagorean theorem to find missing sides', 'Converting between fractions, decimals and percentages', 'Multiplying and dividing negative integers'],
    },
    ar: {
      title: 'الرياضيات',
      units: ['الأعداد والعمليات', 'الكسور والأعداد العشرية', 'العبارات الجبرية', 'المعادلات والمتباينات', 'الهندسة والقياس', 'الإحصاء والاحتمالات', 'النسبة والتناسب', 'الدوال والتمثيل البياني'],
      concepts: ['الأعداد الأولية', 'الاعداد الاوليه', 'الكسور ذات المقامات المختلفة', 'ضرب الأعداد العشرية', 'المعادلات الخطية', 'نظرية فيثاغورس', 'مساحة الدائرة', 'النسب والمعدلات', 'النسبة المئوية', 'الأعداد الصحيحة على خط الأعداد', 'احتمال الحوادث البسيطة', 'الوسط والوسيط والمنوال', 'زوايا المثلث', 'الأُسُسُ وَالقُوَى', 'المستوى الإحداثي'],
      lessons: ['جمع الكسور ذات المقامات المختلفة', 'حل المعادلات الخطية ذات الخطوتين', 'إيجاد مساحة الدائرة ومحيطها', 'استخدام نظرية فيثاغورس لإيجاد طول الضلع', 'التحويل بين الكسور والأعداد العشرية والنسب المئوية', 'ضرب الأعداد الصحيحة السالبة وقسمتها', 'الدَّرْسُ الأَوَّلُ: الأَعْدَادُ النِّسْبِيَّةُ'],
    },
  },
  {
    code: 'PHYS',
    widgets: ['circuit-builder', 'projectile-sim', 'wave-lab'],
    en: {
      title: 'Physics',
      units: ['Motion and forces', 'Energy and work', 'Electricity and circuits', 'Waves and sound', 'Light and optics', 'Heat and temperature'],
      concepts: ['speed and velocity', "Newton's laws of motion", 'kinetic energy', 'potential energy', "Ohm's law", 'series and parallel circuits', 'reflection of light', 'refraction', 'sound waves', 'thermal expansion', 'friction', 'density and pressure'],
      lessons: ['Calculating average speed from distance and time', "Applying Newton's second law to moving objects", 'Building simple series and parallel circuits', 'How lenses form images'],
    },
    ar: {
      title: 'الفيزياء',
      units: ['الحركة والقوى', 'الطاقة والشغل', 'الكهرباء والدوائر الكهربائية', 'الموجات والصوت', 'الضوء والبصريات', 'الحرارة ودرجة الحرارة'],
      concepts: ['السرعة والسرعة المتجهة', 'قوانين نيوتن للحركة', 'الطاقة الحركية', 'طاقة الوضع', 'قانون أوم', 'الدوائر على التوالي والتوازي', 'انعكاس الضوء', 'انكسار الضوء', 'الموجات الصوتية', 'التمدد الحراري', 'قوة الاحتكاك', 'الكثافة والضغط'],
      lessons: ['حساب السرعة المتوسطة من المسافة والزمن', 'تطبيق قانون نيوتن الثاني على الأجسام المتحركة', 'بناء دوائر كهربائية بسيطة على التوالي والتوازي', 'كيف تكوّن العدسات الصور'],
    },
  },
  {
    code: 'CHEM',
    widgets: ['periodic-table', 'molecule-viewer'],
    en: {
      title: 'Chemistry',
      units: ['Matter and its properties', 'Atoms and elements', 'The periodic table', 'Chemical bonding', 'Chemical reactions', 'Acids, bases and salts'],
      concepts: ['states of matter', 'atomic structure', 'isotopes', 'groups and periods', 'ionic bonds', 'covalent bonds', 'balancing chemical equations', 'the mole concept', 'the pH scale', 'neutralization reactions', 'reaction rates'],
      lessons: ['Balancing chemical equations step by step', 'Comparing ionic and covalent bonds', 'Reading the periodic table by groups and periods', 'Measuring acidity with the pH scale'],
    },
    ar: {
      title: 'الكيمياء',
      units: ['المادة وخصائصها', 'الذرات والعناصر', 'الجدول الدوري', 'الروابط الكيميائية', 'التفاعلات الكيميائية', 'الأحماض والقواعد والأملاح'],
      concepts: ['حالات المادة', 'تركيب الذرة', 'النظائر', 'المجموعات والدورات', 'الرابطة الأيونية', 'الرابطة التساهمية', 'موازنة المعادلات الكيميائية', 'مفهوم المول', 'مقياس الرقم الهيدروجيني', 'تفاعلات التعادل', 'سرعة التفاعل الكيميائي'],
      lessons: ['موازنة المعادلات الكيميائية خطوة بخطوة', 'المقارنة بين الرابطة الأيونية والرابطة التساهمية', 'قراءة الجدول الدوري حسب المجموعات والدورات', 'قياس الحموضة باستخدام مقياس الرقم الهيدروجيني'],
    },
  },
  {
    code: 'BIO',
    widgets: ['cell-explorer', 'punnett-square'],
    en: {
      title: 'Biology',
      units: ['Cells and organisms', 'Human body systems', 'Genetics and heredity', 'Ecosystems', 'Plants and photosynthesis', 'Evolution and classification'],
      concepts: ['cell structure', 'cell division', 'the digestive system', 'the circulatory system', 'DNA and genes', "Mendel's laws", 'food chains', 'photosynthesis', 'cellular respiration', 'classification of living things', 'adaptation'],
      lessons: ['Comparing plant and animal cells under the microscope', 'How the heart pumps blood around the body', 'Predicting traits with Punnett squares', 'Energy flow in food chains and food webs'],
    },
    ar: {
      title: 'الأحياء',
      units: ['الخلايا والكائنات الحية', 'أجهزة جسم الإنسان', 'الوراثة', 'الأنظمة البيئية', 'النباتات والبناء الضوئي', 'التطور والتصنيف'],
      concepts: ['تركيب الخلية', 'انقسام الخلية', 'الجهاز الهضمي', 'الجهاز الدوري', 'الحمض النووي والجينات', 'قوانين مندل', 'السلاسل الغذائية', 'عملية البناء الضوئي', 'التنفس الخلوي', 'تصنيف الكائنات الحية', 'التكيف'],
      lessons: ['المقارنة بين الخلية النباتية والخلية الحيوانية', 'كيف يضخ القلب الدم إلى أجزاء الجسم', 'التنبؤ بالصفات الوراثية باستخدام مربع بانيت', 'انتقال الطاقة في السلاسل والشبكات الغذائية'],
    },
  },
  {
    code: 'ARAB',
    widgets: ['flashcards', 'word-match', 'sentence-parser'],
    en: {
      title: 'Arabic Language',
      units: ['Grammar', 'Morphology', 'Reading comprehension', 'Poetry and rhetoric', 'Writing and composition', 'Spelling and dictation'],
      concepts: ['nominal sentences', 'verbal sentences', 'the subject and predicate', 'verb conjugation', 'the dual and plural', 'metaphor and simile', 'persuasive essays', 'hamza spelling rules', 'classical poetry', 'summarizing texts'],
      lessons: ['Identifying the subject and predicate in nominal sentences', 'Writing the hamza correctly in the middle of words', 'Telling taa marbuta apart from final haa'],
    },
    ar: {
      title: 'اللغة العربية',
      units: ['النحو', 'الصرف', 'القراءة والفهم', 'البلاغة والشعر', 'التعبير والكتابة', 'الإملاء'],
      concepts: ['الجملة الاسمية', 'الجملة الفعلية', 'المبتدأ والخبر', 'تصريف الأفعال', 'المثنى والجمع', 'التشبيه والاستعارة', 'المقال الإقناعي', 'قواعد كتابة الهمزة', 'التاء المربوطة والتاء المفتوحة', 'الألف المقصورة والألف الممدودة', 'تلخيص النصوص'],
      lessons: ['إعراب المبتدأ والخبر في الجملة الاسمية', 'كتابة الهمزة المتوسطة على الألف والواو والياء', 'التمييز بين التاء المربوطة والهاء في آخر الكلمة', 'الفِعْلُ المُضَارِعُ المَرْفُوعُ وَعَلَامَاتُ رَفْعِهِ'],
    },
  },
  {
    code: 'ENG',
    widgets: ['flashcards', 'word-match', 'audio-recorder'],
    en: {
      title: 'English Language',
      units: ['Grammar in use', 'Vocabulary building', 'Reading skills', 'Writing skills', 'Listening and speaking', 'Literature'],
      concepts: ['the present perfect tense', 'conditional sentences', 'the passive voice', 'reported speech', 'phrasal verbs', 'paragraph structure', 'skimming and scanning', 'narrative writing', 'comparatives and superlatives', 'relative clauses'],
      lessons: ['Using the present perfect for life experiences', 'Writing a clear topic sentence for each paragraph', 'Changing active sentences into the passive voice'],
    },
    ar: {
      title: 'اللغة الإنجليزية',
      units: ['القواعد في الاستخدام', 'بناء المفردات', 'مهارات القراءة', 'مهارات الكتابة', 'الاستماع والمحادثة', 'الأدب'],
      concepts: ['زمن المضارع التام', 'الجمل الشرطية', 'المبني للمجهول', 'الكلام المنقول', 'الأفعال المركبة', 'بناء الفقرة', 'القراءة السريعة والمسح', 'الكتابة السردية', 'صيغ المقارنة والتفضيل', 'جمل الصلة'],
      lessons: ['استخدام المضارع التام للتعبير عن التجارب', 'كتابة جملة رئيسية واضحة لكل فقرة', 'تحويل الجمل من المبني للمعلوم إلى المبني للمجهول'],
    },
  },
  {
    code: 'HIST',
    widgets: ['timeline', 'map-explorer'],
    en: {
      title: 'History',
      units: ['Ancient civilizations', 'The Islamic golden age', 'The Ottoman era', 'The modern world', 'National history', 'World wars and their aftermath'],
      concepts: ['Mesopotamia', 'ancient Egypt', 'the Abbasid caliphate', 'the House of Wisdom', 'Al-Andalus', 'the Ottoman Empire', 'the Industrial Revolution', 'the First World War', 'the Great Arab Revolt', 'independence movements'],
      lessons: ['Daily life along the Nile in ancient Egypt', 'How the House of Wisdom preserved ancient knowledge', 'Causes and consequences of the First World War'],
    },
    ar: {
      title: 'التاريخ',
      units: ['الحضارات القديمة', 'العصر الذهبي الإسلامي', 'العهد العثماني', 'العالم الحديث', 'التاريخ الوطني', 'الحروب العالمية ونتائجها'],
      concepts: ['حضارة بلاد الرافدين', 'الحضارة المصرية القديمة', 'الدولة العباسية', 'بيت الحكمة', 'الأندلس', 'الدولة العثمانية', 'الثورة الصناعية', 'الحرب العالمية الأولى', 'الثورة العربية الكبرى', 'حركات الاستقلال'],
      lessons: ['الحياة اليومية على ضفاف النيل في مصر القديمة', 'دور بيت الحكمة في حفظ العلوم القديمة', 'أسباب الحرب العالمية الأولى ونتائجها'],
    },
  },
  {
    code: 'GEO',
    widgets: ['map-explorer', 'climate-chart'],
    en: {
      title: 'Geography',
      units: ['Maps and location', 'Landforms', 'Climate and weather', 'Population and settlement', 'Natural resources', 'The Arab world'],
      concepts: ['latitude and longitude', 'map scales', 'mountains and plateaus', 'rivers and deltas', 'climate zones', 'the water cycle', 'population density', 'urbanization', 'renewable energy', 'deserts of the Arab world'],
      lessons: ['Finding places with latitude and longitude', 'How rivers shape valleys and deltas', 'Comparing climate zones around the world'],
    },
    ar: {
      title: 'الجغرافيا',
      units: ['الخرائط والموقع', 'أشكال سطح الأرض', 'المناخ والطقس', 'السكان والاستيطان', 'الموارد الطبيعية', 'الوطن العربي'],
      concepts: ['دوائر العرض وخطوط الطول', 'مقياس الرسم', 'الجبال والهضاب', 'الأنهار والدلتا', 'الأقاليم المناخية', 'دورة الماء في الطبيعة', 'الكثافة السكانية', 'التحضر', 'الطاقة المتجددة', 'صحارى الوطن العربي'],
      lessons: ['تحديد المواقع باستخدام دوائر العرض وخطوط الطول', 'كيف تشكّل الأنهار الأودية والدلتا', 'المقارنة بين الأقاليم المناخية في العالم'],
    },
  },
  {
    code: 'CS',
    widgets: ['code-runner', 'block-editor'],
    en: {
      title: 'Computer Science',
      units: ['Computational thinking', 'Programming basics', 'Data and information', 'Networks and the internet', 'Algorithms', 'Digital citizenship'],
      concepts: ['variables and data types', 'loops', 'conditional statements', 'functions', 'binary numbers', 'sorting algorithms', 'searching algorithms', 'how the internet works', 'online safety', 'spreadsheets'],
      lessons: ['Writing your first program with variables and loops', 'Converting between binary and decimal numbers', 'Comparing bubble sort and selection sort'],
    },
    ar: {
      title: 'علوم الحاسوب',
      units: ['التفكير الحاسوبي', 'أساسيات البرمجة', 'البيانات والمعلومات', 'الشبكات والإنترنت', 'الخوارزميات', 'المواطنة الرقمية'],
      concepts: ['المتغيرات وأنواع البيانات', 'الحلقات التكرارية', 'الجمل الشرطية', 'الدوال', 'النظام الثنائي', 'خوارزميات الترتيب', 'خوارزميات البحث', 'كيف يعمل الإنترنت', 'الأمان على الإنترنت', 'الجداول الإلكترونية'],
      lessons: ['كتابة أول برنامج باستخدام المتغيرات والحلقات', 'التحويل بين النظام الثنائي والنظام العشري', 'المقارنة بين خوارزمية الفقاعة وخوارزمية الاختيار'],
    },
  },
  {
    code: 'ISL',
    widgets: ['flashcards', 'recitation-player'],
    en: {
      title: 'Islamic Education',
      units: ['The Holy Quran', 'Hadith', 'Faith', 'Jurisprudence', 'Biography of the Prophet', 'Ethics and manners'],
      concepts: ['rules of recitation', 'the pillars of Islam', 'the pillars of faith', 'prayer', 'fasting', 'zakat', 'the migration to Medina', 'honesty', 'kindness to parents', 'cleanliness'],
      lessons: ['The rules of noon sakinah and tanween in recitation', 'The conditions and pillars of prayer'],
    },
    ar: {
      title: 'التربية الإسلامية',
      units: ['القرآن الكريم', 'الحديث الشريف', 'العقيدة', 'الفقه', 'السيرة النبوية', 'الأخلاق والآداب'],
      concepts: ['أحكام التلاوة', 'أركان الإسلام', 'أركان الإيمان', 'الصلاة', 'الصيام', 'الزكاة', 'الهجرة إلى المدينة', 'الصدق', 'بر الوالدين', 'الطهارة'],
      lessons: ['أحكام النون الساكنة والتنوين', 'شروط الصلاة وأركانها', 'الهِجْرَةُ النَّبَوِيَّةُ إِلَى المَدِينَةِ المُنَوَّرَةِ', 'اداب الطعام والشراب'],
    },
  },
];

/** Lesson title templates; `{c}` is the topic's concept. */
export const LESSON_TEMPLATES: Record<Lang, readonly string[]> = {
  en: ['Introduction to {c}', 'Understanding {c}', '{c}: worked examples', 'Practice problems on {c}', 'Review: {c}', '{c} in everyday life', 'Solving problems with {c}', 'Exploring {c} step by step', 'Common mistakes with {c}', '{c}: key ideas and vocabulary', 'Quiz preparation: {c}'],
  ar: ['مقدمة في {c}', 'فهم {c}', '{c}: أمثلة محلولة', 'تمارين على {c}', 'مراجعة: {c}', '{c} في الحياة اليومية', 'حل المسائل باستخدام {c}', 'استكشاف {c} خطوة بخطوة', 'أخطاء شائعة في {c}', '{c}: المفاهيم والمصطلحات الأساسية', 'التحضير للاختبار: {c}', 'شرح {c} بالتفصيل', 'اسئلة مراجعه على {c}'],
};

/** Appended when a title comes out shorter than a real lesson title. */
export const LESSON_PADDING: Record<Lang, readonly string[]> = {
  en: [': examples and practice', ' for beginners', ': a closer look'],
  ar: [': أمثلة وتمارين', ' للمبتدئين', ': نظرة أعمق'],
};

/** Lesson openers with full diacritics, used for a topic's first lessons. */
export const ARABIC_LESSON_ORDINALS: readonly string[] = ['الدَّرْسُ الأَوَّلُ', 'الدَّرْسُ الثَّانِي', 'الدَّرْسُ الثَّالِثُ'];

export interface TrackKind {
  code: string;
  en: string;
  ar: string;
}

/** The first kind is every subject's main track. */
export const TRACK_KINDS: readonly TrackKind[] = [
  { code: 'CORE', en: 'Core curriculum', ar: 'المنهج الأساسي' },
  { code: 'ADV', en: 'Advanced track', ar: 'المسار المتقدم' },
  { code: 'EXAM', en: 'Exam preparation', ar: 'التحضير للامتحانات' },
  { code: 'OLY', en: 'Olympiad preparation', ar: 'الإعداد للأولمبياد' },
  { code: 'FND', en: 'Foundations', ar: 'الأساسيات' },
  { code: 'ENR', en: 'Enrichment track', ar: 'المسار الإثرائي' },
];

/** Feminine ordinals for units (الوحدة الأولى). */
export const ARABIC_UNIT_ORDINALS: readonly string[] = ['الأولى', 'الثانية', 'الثالثة', 'الرابعة', 'الخامسة', 'السادسة', 'السابعة', 'الثامنة', 'التاسعة', 'العاشرة'];

/** Masculine ordinals for grades 1 to 12 (الصف السابع). */
export const ARABIC_GRADE_ORDINALS: readonly string[] = ['الأول', 'الثاني', 'الثالث', 'الرابع', 'الخامس', 'السادس', 'السابع', 'الثامن', 'التاسع', 'العاشر', 'الحادي عشر', 'الثاني عشر'];

export function gradeLabel(grade: number, lang: Lang): string {
  return lang === 'en' ? `Grade ${grade}` : `الصف ${ARABIC_GRADE_ORDINALS[grade - 1] ?? String(grade)}`;
}

export const STREAMS: Record<Lang, readonly string[]> = {
  en: ['Scientific', 'Literary', 'General'],
  ar: ['علمي', 'أدبي', 'عام'],
};

export const PLAN_VARIANTS: Record<Lang, readonly string[]> = {
  en: ['Standard', 'Intensive', 'Online', 'Weekend', 'Summer school'],
  ar: ['الخطة القياسية', 'الخطة المكثفة', 'التعليم عن بعد', 'نهاية الأسبوع', 'المدرسة الصيفية'],
};

export const STAGE_TITLES: Record<'Video' | 'Question' | 'Text' | 'Interactive', Record<Lang, readonly string[]>> = {
  Video: { en: ['Watch the explanation', 'Video lesson', 'Worked example video'], ar: ['شاهد الشرح', 'فيديو الدرس', 'مثال محلول بالفيديو'] },
  Question: { en: ['Check your understanding', 'Quick quiz', 'Practice question'], ar: ['تحقق من فهمك', 'اختبار قصير', 'سؤال تدريبي'] },
  Text: { en: ['Key ideas', 'Read the summary', 'Notes'], ar: ['الأفكار الرئيسية', 'اقرأ الملخص', 'ملاحظات'] },
  Interactive: { en: ['Try it yourself', 'Interactive activity'], ar: ['جرّب بنفسك', 'نشاط تفاعلي'] },
};

/** Question stems; the lesson's concept is the right answer among other concepts. */
export const QUESTION_STEMS: Record<Lang, readonly string[]> = {
  en: ['Which of these topics does this lesson cover?', 'What is this lesson mainly about?', 'Select the main idea of this lesson.'],
  ar: ['أيّ من هذه الموضوعات يتناوله هذا الدرس؟', 'ما الفكرة الرئيسية لهذا الدرس؟', 'اختر الموضوع الذي يشرحه هذا الدرس.'],
};

export const TEXT_BODIES: Record<Lang, readonly string[]> = {
  en: ['In this lesson we study {c}. Read the explanation carefully and try the examples before moving on.', 'Remember the main rule of {c} and write one example of your own.', 'Summary: {c} appears in many exercises; note the steps in your notebook.'],
  ar: ['في هذا الدرس ندرس {c}. اقرأ الشرح بعناية وحاول حل الأمثلة قبل الانتقال.', 'تذكّر القاعدة الأساسية في {c} واكتب مثالاً من عندك.', 'ملخص: يظهر {c} في كثير من التمارين، دوّن الخطوات في دفترك.'],
};

export const DESCRIPTIONS: Record<Lang, readonly string[]> = {
  en: ['An overview of {c}.', 'Learn {c} with examples and practice.', 'Everything you need to know about {c}.', 'Short explanations and exercises on {c}.'],
  ar: ['نظرة عامة على {c}.', 'تعلّم {c} مع أمثلة وتمارين.', 'كل ما تحتاج معرفته عن {c}.', 'شروح قصيرة وتمارين على {c}.'],
};

export const RENAME_SUFFIXES: Record<Lang, readonly string[]> = {
  en: ['(revised)', '(plan edition)', '- updated'],
  ar: ['(منقحة)', '(نسخة الخطة)', '- محدثة'],
};

export const COLOR_CODES: readonly string[] = ['#3A7BD5', '#E67E22', '#27AE60', '#8E44AD', '#C0392B', '#16A085', '#2C3E50', '#F1C40F', '#D35400', '#1ABC9C', '#2980B9', '#7F8C8D'];

export const EDITORS: readonly string[] = ['Administrator', 'Administrator', 'content.editor@memora.app', 'curriculum@memora.app'];

/**
 * Rewrites an Arabic title with a common spelling variant: hamza-less alef, ه for final ة,
 * ى for final ي, or a tatweel. Returns the text unchanged when no variant applies.
 */
export function arabicVariant(text: string, kind: number): string {
  switch (kind % 4) {
    case 0:
      return text.replace(/[أإآ]/g, 'ا');
    case 1:
      return text.replace(/ة(?=\s|$|:)/g, 'ه');
    case 2:
      return text.replace(/ي(?=\s|$|:)/g, 'ى');
    default:
      return text.replace(/([بتثجحخسشصضطظعغفقكلمنهي])(?=[\u0621-\u064A])/, '$1ـــ');
  }
}

-- The survey page's optional "may we contact you about your answer?" (null: not asked, e.g. a click or an SMS reply).
alter table responses add column contact_consent boolean;
